package transform

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a mapping file, at a position in it.
type Problem struct {
	File   string // path as found from the mappings directory argument
	Line   int    // 1-based; 0 when the problem concerns the whole file
	Column int    // 1-based; 0 when unknown
	Rule   string // the rule's name, when the problem is inside a rule
	Msg    string
}

func (p *Problem) Error() string {
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

// LoadError holds every problem found while loading a mapping set, sorted by
// file and position.
type LoadError struct {
	Problems []*Problem
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap exposes each problem to errors.As.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

func sortProblems(ps []*Problem) {
	slices.SortStableFunc(ps, func(a, b *Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// ProblemsOf returns the problems an error from Load carries (nil if none).
func ProblemsOf(err error) []*Problem {
	var le *LoadError
	if errors.As(err, &le) {
		return le.Problems
	}
	var p *Problem
	if errors.As(err, &p) {
		return []*Problem{p}
	}
	return nil
}
