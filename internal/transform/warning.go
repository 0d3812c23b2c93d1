package transform

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/bridge-dev/bridge/internal/signature"
)

// Slugs of the warnings a mapping set can have (docs/mappings.md,
// "Warnings", says what to do about each). The fixture package adds
// WarnKeyCollision, which needs the fixtures run.
const (
	WarnNoneWithSecret = signature.WarnNoneWithSecret // scheme none names a secret nothing reads
	WarnNoneUnverified = signature.WarnNoneUnverified // scheme none on a file that serves webhooks
	WarnKeyCollision   = "idempotency-key-collision"  // two rules' fixtures get one delivery key
	WarnQueryUnsigned  = "query-unsigned"             // an expression reads query, which the scheme does not sign
)

// Warning is something in a mapping file that loads but likely does not do
// what its author meant: the file is used all the same (bridge check exits
// 0), and the warning says what to do. It is a channel apart from
// Diagnostic, which stops a file from loading.
type Warning struct {
	File   string `json:"file"`   // path as found from the mappings directory argument
	Line   int    `json:"line"`   // 1-based; 0 when it concerns the whole file
	Column int    `json:"column"` // 1-based; 0 when unknown
	Rule   string `json:"rule,omitempty"`
	Slug   string `json:"slug"` // stable: one of the Warn* constants
	Msg    string `json:"message"`
}

// String renders the warning as bridge check prints it:
// path:line:col: warning: [rule "r": ]message [slug].
func (w *Warning) String() string {
	var b strings.Builder
	b.WriteString(w.File)
	if w.Line > 0 {
		fmt.Fprintf(&b, ":%d", w.Line)
		if w.Column > 0 {
			fmt.Fprintf(&b, ":%d", w.Column)
		}
	}
	b.WriteString(": warning: ")
	if w.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", w.Rule)
	}
	fmt.Fprintf(&b, "%s [%s]", w.Msg, w.Slug)
	return b.String()
}

// SortWarnings sorts ws by file and position, stably.
func SortWarnings(ws []*Warning) {
	slices.SortStableFunc(ws, func(a, b *Warning) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// ForListener returns the warnings of ws that apply to a bridge whose
// webhook listener requires client certificates (mutualTLS) or not:
// none-unverified is what such a listener is for, so it is left out then.
func ForListener(ws []*Warning, mutualTLS bool) []*Warning {
	if !mutualTLS {
		return ws
	}
	out := ws[:0:0]
	for _, w := range ws {
		if w.Slug != WarnNoneUnverified {
			out = append(out, w)
		}
	}
	return out
}

// Warnings returns the warnings of the file found at load, in file order.
func (m *Mapping) Warnings() []*Warning { return m.warnings }

// Warnings returns the warnings of every file of the set found at load,
// sorted by file and position.
func (s *Set) Warnings() []*Warning {
	var out []*Warning
	for _, p := range s.Providers() {
		out = append(out, s.mappings[p].warnings...)
	}
	SortWarnings(out)
	return out
}

// adoptWarnings records the signature block's warnings as the file's.
func (l *loader) adoptWarnings(ws []signature.Warning) {
	for _, w := range ws {
		l.warnings = append(l.warnings, &Warning{File: l.file, Line: w.Line, Column: w.Column, Slug: w.Slug, Msg: w.Msg})
	}
}

// readsQuery reports whether a compiled expression reads query.
func readsQuery(root ast.Node) bool {
	return ast.Find(root, func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && id.Value == "query"
	}) != nil
}
