package transform

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Diagnostic is one thing wrong with a mapping file, at a position in it:
// what Load and Parse report (not to be confused with internal/problem,
// the RFC 9457 answers of the HTTP API).
type Diagnostic struct {
	File   string // path as found from the mappings directory argument
	Line   int    // 1-based; 0 when the problem concerns the whole file
	Column int    // 1-based; 0 when unknown
	Rule   string // the rule's name, when the problem is inside a rule
	Msg    string
}

func (p *Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", p.Rule)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// LoadError holds every diagnostic of a mapping set that did not load,
// sorted by file and position.
type LoadError struct {
	Diagnostics []*Diagnostic
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Diagnostics))
	for i, p := range e.Diagnostics {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap exposes each diagnostic to errors.As.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Diagnostics))
	for i, p := range e.Diagnostics {
		errs[i] = p
	}
	return errs
}

func sortDiagnostics(ps []*Diagnostic) {
	slices.SortStableFunc(ps, func(a, b *Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// DiagnosticsOf returns the diagnostics an error from Load carries (nil if none).
func DiagnosticsOf(err error) []*Diagnostic {
	var le *LoadError
	if errors.As(err, &le) {
		return le.Diagnostics
	}
	var p *Diagnostic
	if errors.As(err, &p) {
		return []*Diagnostic{p}
	}
	return nil
}
