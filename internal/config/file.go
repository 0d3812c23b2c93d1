package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/suggest"
)

// entry is one leaf of the config file, its key flattened to dots.
type entry struct {
	key   string
	pos   *yaml.Node // the key, for "unknown key" and "duplicate key"
	value *yaml.Node
}

// applyFile reads the YAML config file at path into c. Nested maps and
// dotted keys are the same key; every problem carries file:line:col.
func applyFile(c *Config, path string, rows []setting, note func(flag, source string)) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []error{fmt.Errorf("config file: %w", err)}
	}
	entries, errs := readEntries(path, data)
	byKey := make(map[string]setting, len(rows))
	sections := make(map[string]bool)
	for _, r := range rows {
		byKey[r.key] = r
		for i := range r.key {
			if r.key[i] == '.' {
				sections[r.key[:i]] = true
			}
		}
	}
	seen := make(map[string]*yaml.Node)
	for _, e := range entries {
		r, known := byKey[e.key]
		switch {
		case !known && sections[e.key] && e.value.Tag == "!!null":
			continue // an empty section such as "nats:"
		case !known && sections[e.key]:
			errs = append(errs, fmt.Errorf("%s: %q is a section, want a map of its keys", at(path, e.value), e.key))
			continue
		case !known:
			hint := ""
			if k, ok := suggest.Closest(e.key, slices.Sorted(maps.Keys(byKey))); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", k)
			}
			errs = append(errs, fmt.Errorf("%s: unknown key %q%s", at(path, e.pos), e.key, hint))
			continue
		case seen[e.key] != nil:
			errs = append(errs, fmt.Errorf("%s: duplicate key %q, first set on line %d", at(path, e.pos), e.key, seen[e.key].Line))
			continue
		}
		seen[e.key] = e.pos
		text, err := scalarText(e.value, r.list)
		if err == nil {
			err = r.parse(c, text)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", at(path, e.value), e.key, err))
			continue
		}
		note(r.flag, at(path, e.pos)+" "+e.key)
	}
	return errs
}

// readEntries parses one YAML document and flattens its maps.
func readEntries(path string, data []byte) ([]entry, []error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file sets nothing
		}
		return nil, []error{yamlError(path, err)}
	}
	var rest yaml.Node
	if err := dec.Decode(&rest); !errors.Is(err, io.EOF) {
		return nil, []error{fmt.Errorf("%s: want one YAML document, found more", path)}
	}
	root := deref(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, []error{fmt.Errorf("%s: want a map of settings", at(path, root))}
	}
	var entries []entry
	var errs []error
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := deref(m.Content[i]), deref(m.Content[i+1])
			if k.Kind != yaml.ScalarNode {
				errs = append(errs, fmt.Errorf("%s: a key must be a plain name", at(path, k)))
				continue
			}
			key := prefix + k.Value
			if v.Kind == yaml.MappingNode {
				walk(key+".", v)
				continue
			}
			entries = append(entries, entry{key: key, pos: k, value: v})
		}
	}
	walk("", root)
	return entries, errs
}

// scalarText is a value's text; a list, where allowed, is joined with
// commas as on the command line, and null is the empty string.
func scalarText(v *yaml.Node, list bool) (string, error) {
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return "", nil
	case v.Kind == yaml.ScalarNode:
		return v.Value, nil
	case v.Kind == yaml.SequenceNode && list:
		items := make([]string, len(v.Content))
		for i, it := range v.Content {
			it = deref(it)
			if it.Kind != yaml.ScalarNode {
				return "", errors.New("want a list of strings")
			}
			items[i] = it.Value
		}
		return strings.Join(items, ","), nil
	case list:
		return "", errors.New("want a value or a list of values")
	}
	return "", errors.New("want a single value")
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func at(path string, n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", path, n.Line, n.Column)
}

// yamlError rewrites yaml.v3's "yaml: line 3: msg" as "path:3: msg".
func yamlError(path string, err error) error {
	msg, ok := strings.CutPrefix(err.Error(), "yaml: line ")
	if line, rest, found := strings.Cut(msg, ": "); ok && found {
		return fmt.Errorf("%s:%s: %s", path, line, rest)
	}
	return fmt.Errorf("%s: %w", path, err)
}
