package transform

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// program is one compiled expression and where it came from.
type program struct {
	prog  *vm.Program
	field string // e.g. "when", "data.amount"
	src   string // the expression as written (without its let prefix)
	line  int
	col   int
}

// vms reuses expr's virtual machines: one per run would be an allocation
// of its stack for every expression of every event.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// run evaluates the program against e, a *env or *itemEnv (a pointer, so
// that passing it costs no allocation).
// An evaluation whose budget is spent fails with the budget's error, before
// the program runs and whatever the program's error.
func (p *program) run(e any) (any, error) {
	b := budgetOfEnv(e)
	if b != nil && b.err != nil {
		return nil, b.err
	}
	m := vms.Get().(*vm.VM)
	out, err := m.Run(p.prog, e)
	vms.Put(m)
	if err != nil {
		if b != nil && b.err != nil {
			return nil, b.err
		}
		msg := firstLine(err)
		if msg == vmMemoryExceeded {
			return nil, &BudgetError{What: "memory", Limit: fmt.Sprint(conf.DefaultMemoryBudget)}
		}
		if strings.Contains(msg, "reflect: call of reflect.Value.") && strings.Contains(msg, " on zero Value") {
			// What expr says when a built-in such as map() or len() is
			// given nil, in Go's words.
			msg = "a list or map is nil (a missing field? give a default with ?? [])"
		}
		return nil, errors.New(msg)
	}
	// A built-in that ran long between two charges (one call the budget
	// under-charged) still ends the evaluation once it returns: its result
	// is never used past the deadline.
	if err := b.charge(0, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func budgetOfEnv(e any) *budget {
	switch e := e.(type) {
	case *env:
		return e.Budget
	case *itemEnv:
		return e.Budget
	}
	return nil
}

func firstLine(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// resultKinds says what an expression may return; the checker's type is
// compared with it at load when the checker knows it (JSON values are `any`
// and pass, and are checked again at run time).
type resultKinds struct {
	name  string
	types []reflect.Type
	kinds []reflect.Kind
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	kindsID    = resultKinds{name: "a string or a number", kinds: []reflect.Kind{reflect.String, reflect.Int, reflect.Int64, reflect.Float64}}
	kindsStr   = resultKinds{name: "a string", kinds: []reflect.Kind{reflect.String}}
	kindsTime  = resultKinds{name: "a time or an RFC 3339 string", types: []reflect.Type{timeType}, kinds: []reflect.Kind{reflect.String}}
	kindsList  = resultKinds{name: "a list", kinds: []reflect.Kind{reflect.Slice, reflect.Array}}
	kindsMap   = resultKinds{name: "a map", kinds: []reflect.Kind{reflect.Map}}
	kindsValue = resultKinds{}
)

func (k resultKinds) accepts(t reflect.Type) bool {
	if k.name == "" || t == nil || t.Kind() == reflect.Interface {
		return true
	}
	for _, want := range k.types {
		if t == want {
			return true
		}
	}
	for _, want := range k.kinds {
		if t.Kind() == want && (t != timeType) {
			return true
		}
	}
	return false
}

// compile compiles the expression in n against the environment type of e.
func (l *loader) compile(n *yaml.Node, rule, field string, e any, want resultKinds, extra ...expr.Option) *program {
	src, ok := l.scalar(n, rule, field)
	if !ok {
		return nil
	}
	if strings.TrimSpace(src) == "" {
		l.errf(n, rule, "%s: empty expression", field)
		return nil
	}
	if envelopeContext.MatchString(src) && field != "idempotency_key" {
		l.contextReads = append(l.contextReads, contextRead{rule: rule, field: field, node: n})
	}
	if strings.Contains(src, reservedPrefix) {
		l.errf(n, rule, "%s: %v", field, errReserved)
		return nil
	}
	if len(l.compiled) >= MaxExpressions {
		tooMany := fmt.Sprintf("the file has more than %d expressions", MaxExpressions)
		if len(l.diags) == 0 || !strings.HasSuffix(l.diags[len(l.diags)-1].Msg, tooMany) {
			l.errf(n, rule, "%s: %s", field, tooMany)
		}
		return nil
	}
	if len(src) > MaxExpressionSize {
		l.errf(n, rule, "%s: the expression is %d bytes; at most %d are allowed", field, len(src), MaxExpressionSize)
		return nil
	}
	opts := append([]expr.Option{expr.Env(e), expr.MaxNodes(2000)}, l.funcs...)
	opts = append(opts, extra...)
	prefix := l.letPrefix(src)
	prog, err := expr.Compile(prefix+src, opts...)
	if err != nil {
		line, col := n.Line, n.Column
		msg := err.Error()
		var fe *file.Error
		if errors.As(err, &fe) {
			msg = fe.Message
			if prefix != "" {
				// The prefix is one line of its own; the lets compiled
				// alone already, so an error there is this expression's use.
				fe.Line--
			}
			line, col = exprPosition(n, fe.Line, fe.Column)
		}
		l.diags = append(l.diags, &Diagnostic{File: l.file, Line: line, Column: col, Rule: rule, Msg: field + ": " + msg})
		return nil
	}
	if t := prog.Node().Type(); !want.accepts(t) {
		l.errf(n, rule, "%s: expression must return %s, got %s", field, want.name, t)
		return nil
	}
	p := &program{prog: prog, field: field, src: src, line: n.Line, col: n.Column}
	if readsQuery(prog.Node()) {
		l.queryReads = append(l.queryReads, contextRead{rule: rule, field: field, node: n})
	}
	l.compiled = append(l.compiled, p)
	return p
}

// exprPosition turns a position inside an expression (line 1-based, column
// 0-based) into a position in the YAML file.
func exprPosition(n *yaml.Node, line, col int) (int, int) {
	if line < 1 {
		line = 1
	}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The text starts on the line after the indicator; its indentation
		// is not kept by the parser, so the column is approximate.
		return n.Line + line, n.Column + 2 + col
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if line == 1 {
			return n.Line, n.Column + 1 + col
		}
	}
	if line == 1 {
		return n.Line, n.Column + col
	}
	return n.Line + line - 1, col + 1
}

// letDef is one of the file's `let` expressions. A let is compiled alone
// first (so its own errors point at it) and then written in front of each
// expression that uses it, directly or through another let, with expr's own
// `let name = ...;` syntax.
type letDef struct {
	name string
	src  string
	word *regexp.Regexp
}

func (l *loader) letBlock(n *yaml.Node) {
	for _, p := range l.fields(n, "", "let") {
		name := p[0].Value
		if !identRE.MatchString(name) {
			l.errf(p[0], "", "let: %q is not a valid name (letters, digits, underscores; not starting with a digit)", name)
			continue
		}
		if reservedNames[name] || strings.HasPrefix(name, reservedPrefix) {
			l.errf(p[0], "", "let: %q would hide the expression environment's %s", name, name)
			continue
		}
		field := "let." + name
		if l.compile(p[1], "", field, env{}, kindsValue) == nil {
			continue
		}
		l.lets = append(l.lets, letDef{name: name, src: p[1].Value, word: regexp.MustCompile(`\b` + name + `\b`)})
	}
}

var (
	identRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reservedNames = map[string]bool{"payload": true, "headers": true, "query": true, "provider": true, "received_at": true, "envelope": true, "item": true}
)

// letPrefix returns the let declarations src needs, in file order, on one
// line followed by a newline; "" when it uses none.
func (l *loader) letPrefix(src string) string {
	need := make([]bool, len(l.lets))
	any := false
	// A let may use earlier lets: walk back from the last one.
	for i := len(l.lets) - 1; i >= 0; i-- {
		if l.lets[i].word.MatchString(src) {
			need[i], any = true, true
			continue
		}
		for j := i + 1; j < len(l.lets); j++ {
			if need[j] && l.lets[i].word.MatchString(l.lets[j].src) {
				need[i], any = true, true
				break
			}
		}
	}
	if !any {
		return ""
	}
	var b strings.Builder
	for i, d := range l.lets {
		if need[i] {
			b.WriteString("let " + d.name + " = (" + d.src + "); ")
		}
	}
	b.WriteString("\n")
	return b.String()
}
