package asyncapi

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// comments are the descriptions a mapping file holds as YAML comments: the
// comment at the head of the file, and the comment above each rule.
type comments struct {
	file  string
	rules map[int]string // by the line of the rule's `- ` item
}

// readComments parses a mapping file for its comments. The file was
// loaded by transform already, so only its shape matters here: a mapping
// with a `rules` sequence.
func readComments(data []byte) (comments, error) {
	c := comments{rules: map[int]string{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return c, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	c.file = commentText(doc.HeadComment)
	if c.file == "" {
		c.file = commentText(root.HeadComment)
	}
	if root.Kind != yaml.MappingNode {
		return c, fmt.Errorf("line %d: want a mapping", root.Line)
	}
	if c.file == "" && len(root.Content) > 0 {
		c.file = commentText(root.Content[0].HeadComment) // above the first key
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "rules" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range root.Content[i+1].Content {
			if text := commentText(r.HeadComment); text != "" {
				c.rules[r.Line] = text
			}
		}
	}
	return c, nil
}

// commentText is a YAML comment without its '#' marks, line for line
// (descriptions are CommonMark: a blank comment line ends a paragraph).
// Editor directives (the first line's "yaml-language-server: $schema=..."
// or "$schema: ...") are not description.
func commentText(c string) string {
	var lines []string
	for _, line := range strings.Split(c, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "#")
		line = strings.TrimRight(strings.TrimPrefix(line, " "), " \t")
		if strings.HasPrefix(line, "yaml-language-server:") || strings.HasPrefix(line, "$schema:") {
			continue
		}
		lines = append(lines, line)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
