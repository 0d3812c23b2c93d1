package yamlcheck

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func lines(ds []Diagnostic) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Msg))
	}
	return strings.Join(out, "\n")
}

func TestFields(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		known []string
		keys  string // the pairs returned, their keys joined
		want  string // the diagnostics
	}{
		{"known keys", "a: 1\nb: 2", []string{"a", "b"}, "a,b", ""},
		{"any key when none is named", "x: 1\ny: 2", nil, "x,y", ""},
		{"unknown key", "a: 1\nc: 2", []string{"a", "b"}, "a", `2:1: unknown key "c" in block (known keys: a, b)`},
		{"repeated key", "a: 1\na: 2", nil, "a", `2:1: key "a" appears twice in block`},
		{"a list", "[1, 2]", nil, "", "1:1: block must be a mapping, got a list"},
		{"a value", "x", nil, "", `1:1: block must be a mapping, got "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Checker
			pairs := c.Fields(node(t, tc.src), "block", tc.known...)
			var keys []string
			for _, p := range pairs {
				keys = append(keys, p[0].Value)
			}
			if got := strings.Join(keys, ","); got != tc.keys {
				t.Errorf("keys %q, want %q", got, tc.keys)
			}
			if got := lines(c.Diagnostics); got != tc.want {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestScalar(t *testing.T) {
	tests := []struct {
		name, src, value string
		ok               bool
		want             string
	}{
		{"a value", "a: x", "x", true, ""},
		{"an empty string", "a: ''", "", true, ""},
		{"nothing", "a:", "", false, "1:3: a must be a single value, got nothing"},
		{"a list", "a: [x]", "", false, "1:4: a must be a single value, got a list"},
		{"a mapping", "a: {x: 1}", "", false, "1:4: a must be a single value, got a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Checker
			v, ok := c.Scalar(node(t, tc.src).Content[1], "a")
			if v != tc.value || ok != tc.ok {
				t.Errorf("Scalar = %q, %v; want %q, %v", v, ok, tc.value, tc.ok)
			}
			if got := lines(c.Diagnostics); got != tc.want {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestErrorfWithoutANode(t *testing.T) {
	var c Checker
	c.Errorf(nil, "whole %s", "file")
	if got := lines(c.Diagnostics); got != "0:0: whole file" {
		t.Errorf("diagnostics %q", got)
	}
}

func TestKindName(t *testing.T) {
	for src, want := range map[string]string{"{a: 1}": "a mapping", "[1]": "a list", "~": "nothing", "x": `"x"`} {
		if got := KindName(node(t, src)); got != want {
			t.Errorf("KindName(%s) = %s, want %s", src, got, want)
		}
	}
	if got := KindName(&yaml.Node{Kind: yaml.AliasNode}); got != "an alias" {
		t.Errorf("alias: %s", got)
	}
	if got := KindName(&yaml.Node{Kind: yaml.DocumentNode}); got != "a document" {
		t.Errorf("document: %s", got)
	}
}
