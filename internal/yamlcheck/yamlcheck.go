// Package yamlcheck reads the nodes of a YAML file that people write (a
// mapping file) and says, at each node's line and column, what is wrong
// with it: a mapping with an unknown or repeated key, a list or nothing
// where a single value belongs. The mapping loader (transform) and the
// webhook signature block (signature) share it, so that they word their
// diagnostics alike.
//
// It does not decide what a file means: the callers know the keys and
// the values they take.
package yamlcheck

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Diagnostic is one thing wrong with a node, at its position.
type Diagnostic struct {
	Line   int // 1-based; 0 when the node is unknown
	Column int // 1-based; 0 when unknown
	Msg    string
}

// Checker collects the diagnostics of the checks run through it, in the
// order they were found. The zero value is ready to use.
type Checker struct {
	Diagnostics []Diagnostic
}

// Errorf records a diagnostic at n (no position when n is nil).
func (c *Checker) Errorf(n *yaml.Node, format string, args ...any) {
	d := Diagnostic{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		d.Line, d.Column = n.Line, n.Column
	}
	c.Diagnostics = append(c.Diagnostics, d)
}

// Fields checks that n is a mapping whose keys are all known (any key,
// when known is empty) and unique, and returns its key/value pairs; what
// names n in the diagnostics.
func (c *Checker) Fields(n *yaml.Node, what string, known ...string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		c.Errorf(n, "%s must be a mapping, got %s", what, KindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case known != nil && !slices.Contains(known, k.Value):
			c.Errorf(k, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(known, ", "))
		case seen[k.Value]:
			c.Errorf(k, "key %q appears twice in %s", k.Value, what)
		default:
			seen[k.Value] = true
			out = append(out, [2]*yaml.Node{k, v})
		}
	}
	return out
}

// Scalar returns n's value when n is a single value (not a mapping, a
// list or nothing).
func (c *Checker) Scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.Errorf(n, "%s must be a single value, got %s", what, KindName(n))
		return "", false
	}
	return n.Value, true
}

// KindName says what n is, for a diagnostic: "a mapping", "a list",
// "nothing", a single value quoted.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}
