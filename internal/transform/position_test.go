package transform

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// exprPosition maps a position inside an expression to the file, for
// every style the expression can be written in; a line before the first
// is the first.
func TestExprPosition(t *testing.T) {
	for _, tc := range []struct {
		name         string
		style        yaml.Style
		line, col    int
		wantL, wantC int
	}{
		{"plain, first line", 0, 1, 4, 10, 9},
		{"plain, line 0 is the first", 0, 0, 4, 10, 9},
		{"plain, third line", 0, 3, 4, 12, 5},
		{"quoted, first line", yaml.SingleQuotedStyle, 1, 4, 10, 10},
		{"quoted, second line", yaml.DoubleQuotedStyle, 2, 4, 11, 5},
		{"literal block", yaml.LiteralStyle, 2, 3, 12, 10},
		{"folded block, line 0", yaml.FoldedStyle, 0, 3, 11, 10},
	} {
		n := &yaml.Node{Kind: yaml.ScalarNode, Style: tc.style, Line: 10, Column: 5}
		if l, c := exprPosition(n, tc.line, tc.col); l != tc.wantL || c != tc.wantC {
			t.Errorf("%s: exprPosition(line %d, col %d) = %d:%d, want %d:%d", tc.name, tc.line, tc.col, l, c, tc.wantL, tc.wantC)
		}
	}
}
