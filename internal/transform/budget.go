package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Limits bound one evaluation: every expression the rules run for one
// delivery (its `when`s, its key, and every field of every event it makes).
type Limits struct {
	// Steps bounds the loop iterations of built-ins (each iteration of a
	// predicate of map, filter, count, all, ...; each element of a list a
	// built-in such as sum, join or sort reads) plus one per built-in call.
	Steps int64
	// Bytes bounds the bytes of strings and lists built: by +, and by the
	// built-ins that build one (repeat, join, replace, toJSON, string,
	// concat, flatten, split, upper, ...). A list element counts 16 bytes.
	Bytes int64
	// Time bounds the evaluation's wall-clock time.
	Time time.Duration
}

// DefaultLimits are far above what a real mapping needs: the shipped
// mappings use a few hundred steps and a few kilobytes per delivery.
var DefaultLimits = Limits{Steps: 1_000_000, Bytes: 16 << 20, Time: 2 * time.Second}

// Bounds of a mapping file, checked at load: what compiling it may cost.
const (
	MaxExpressionSize = 8 << 10 // bytes of one expression
	MaxExpressions    = 5000    // expressions of one file, lets and data leaves included
)

// BudgetError says which limit of an evaluation was exceeded.
type BudgetError struct {
	What  string // "steps", "bytes", "time", "depth", or "memory" (expr's own, per expression)
	Limit string // the limit, as written in the error
}

func (e *BudgetError) Error() string {
	switch e.What {
	case "steps":
		return "evaluation budget exceeded: more than " + e.Limit + " steps (loop iterations and built-in calls)"
	case "bytes":
		return "evaluation budget exceeded: more than " + e.Limit + " bytes of strings and lists built"
	case "depth":
		return "evaluation budget exceeded: a value nests deeper than " + e.Limit + " levels"
	case "memory":
		return "evaluation budget exceeded: one expression built more than " + e.Limit + " list elements and bytes (expr's memory budget)"
	}
	return "evaluation budget exceeded: took longer than " + e.Limit
}

// budget is what one evaluation has spent of its Limits. Every expression
// is compiled with calls that charge it (see budgetPatcher); the first
// limit exceeded fails the call, and every later run of the evaluation.
type budget struct {
	limits   Limits
	steps    int64
	bytes    int64
	deadline time.Time
	ctx      context.Context
	err      error // sticky: once exceeded, the evaluation is over
}

func newBudget(ctx context.Context, l Limits) *budget {
	b := new(budget)
	b.init(ctx, l)
	return b
}

// init sets b up as newBudget's: for a budget allocated with what it
// belongs to.
func (b *budget) init(ctx context.Context, l Limits) {
	if l.Steps <= 0 {
		l.Steps = DefaultLimits.Steps
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultLimits.Bytes
	}
	if l.Time <= 0 {
		l.Time = DefaultLimits.Time
	}
	if ctx == nil {
		ctx = context.Background()
	}
	*b = budget{limits: l, deadline: time.Now().Add(l.Time), ctx: ctx}
}

// charge spends steps and bytes, and checks the clock and the context.
func (b *budget) charge(steps, bytes int64) error {
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	b.steps += steps
	b.bytes += bytes
	switch {
	case b.steps > b.limits.Steps:
		b.err = &BudgetError{What: "steps", Limit: fmt.Sprint(b.limits.Steps)}
	case b.bytes > b.limits.Bytes || bytes < 0:
		b.err = &BudgetError{What: "bytes", Limit: fmt.Sprint(b.limits.Bytes)}
	case time.Now().After(b.deadline):
		b.err = &BudgetError{What: "time", Limit: b.limits.Time.String()}
	default:
		// The context's cause is looked up (a walk up its parents) only
		// once it is done.
		if err := b.ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(b.ctx), context.DeadlineExceeded) {
				b.err = &BudgetError{What: "time", Limit: b.limits.Time.String()}
			} else {
				b.err = fmt.Errorf("evaluation cancelled: %w", context.Cause(b.ctx))
			}
		}
	}
	return b.err
}

// remaining is the bytes the evaluation may still build.
func (b *budget) remaining() int64 {
	if b == nil {
		return 1 << 62
	}
	return b.limits.Bytes - b.bytes
}

// Names of the charging functions and of the environment's budget field.
// Expressions may not use names starting with reservedPrefix.
const (
	reservedPrefix = "__bridge"
	budgetVar      = "__bridge_budget"
	stepFunc       = "__bridge_step"
	preFunc        = "__bridge_pre"
	catFunc        = "__bridge_cat"
	addFunc        = "__bridge_add"
	letVarPrefix   = "__bridge_v"
)

// vmMemoryExceeded is the error of expr's VM when one run exceeds its own
// memory budget (conf.DefaultMemoryBudget units: list elements, and the
// bytes of repeat).
const vmMemoryExceeded = "memory budget exceeded"

func budgetOf(v any) *budget {
	b, _ := v.(*budget)
	return b
}

// budgetOptions are the expr options that make every evaluation charge its
// budget: the functions and the patcher that calls them.
func budgetOptions() []expr.Option {
	return []expr.Option{
		expr.Function(stepFunc, func(args ...any) (any, error) {
			if err := budgetOf(args[0]).charge(1, 0); err != nil {
				return nil, err
			}
			return true, nil
		}, new(func(any) bool)),
		expr.Function(preFunc, func(args ...any) (any, error) {
			name, _ := args[1].(string)
			b := budgetOf(args[0])
			if b == nil {
				return true, nil
			}
			switch name {
			case indexCheck:
				if k := reflect.ValueOf(args[2]).Kind(); k == reflect.Slice || k == reflect.Array || k == reflect.Map {
					return nil, fmt.Errorf("cannot index with a %T", args[2])
				}
			case sliceCheck:
				if k := reflect.ValueOf(args[2]).Kind(); args[2] != nil && k != reflect.String && k != reflect.Slice && k != reflect.Array {
					return nil, fmt.Errorf("cannot slice a %T", args[2])
				}
			}
			if comparisons[name] || name == "fromPairs" {
				// Comparing walks both values whole: refuse one nested
				// deeper than a JSON document may be before it recurses.
				for _, a := range args[2:] {
					if tooDeep(a, jsonx.MaxDepth) {
						b.err = &BudgetError{What: "depth", Limit: fmt.Sprint(jsonx.MaxDepth)}
						return nil, b.err
					}
				}
			}
			steps, bytes := cost(name, args[2:], b.remaining())
			if err := b.charge(steps, bytes); err != nil {
				return nil, err
			}
			return true, nil
		}, new(func(any, string, ...any) bool)),
		expr.Function(catFunc, addStrings, new(func(any, string, string) string)),
		expr.Function(addFunc, addStrings, new(func(any, any, any) any)),
		expr.Patch(&budgetPatcher{}),
	}
}

// addStrings is `+` with the bytes of a string result charged before the
// string is built.
func addStrings(args ...any) (any, error) {
	a, b := args[1], args[2]
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			if err := budgetOf(args[0]).charge(1, int64(len(sa))+int64(len(sb))); err != nil {
				return nil, err
			}
			return sa + sb, nil
		}
	}
	return runtime.Add(a, b), nil
}

// builders are the built-ins and the bridge's functions that build a string
// or a list about the size of their arguments; cost charges what they will build before they run.
var builders = map[string]bool{
	"trim": true, "trimPrefix": true, "trimSuffix": true, "upper": true, "lower": true,
	"split": true, "splitAfter": true, "fromJSON": true, "toBase64": true, "fromBase64": true,
	"keys": true, "values": true, "toPairs": true, "fromPairs": true, "reverse": true,
	"uniq": true, "sort": true, "take": true,
	"mask": true, // the bridge's
}

// charged are the built-ins (without a predicate) and the bridge's
// functions whose calls charge the budget: those that read strings and
// lists.
var charged = map[string]bool{
	"repeat": true, "join": true, "replace": true, "toJSON": true, "string": true,
	"concat": true, "flatten": true, "sum": true, "indexOf": true, "lastIndexOf": true,
	"max": true, "min": true, "mean": true, "median": true, "first": true, "last": true, "get": true,
	"uuid5": true, "hmac": true, "parseTime": true, "minorUnits": true, // the bridge's
}

// cost is what a call of the built-in name with args will spend: one step,
// plus one per element of the lists and maps it reads; and the bytes of
// what it builds, computed from its arguments before it runs (a deep size,
// bounded by limit, for the built-ins that write a whole value out).
func cost(name string, args []any, limit int64) (steps, bytes int64) {
	steps = 1
	for _, a := range args {
		if s, ok := a.(string); ok {
			steps += int64(len(s)) >> 10 // a step per KiB read
		} else {
			steps += int64(shallowLen(a))
		}
	}
	switch name {
	case "repeat":
		return steps, repeatBytes(args, limit)
	case "join":
		return steps, joinBytes(args)
	case "replace":
		return steps, replaceBytes(args)
	case "toJSON", "string":
		return steps, deepSize(args[0], limit, 0)
	case "fromJSON":
		// A decoded value costs far more than its text: `{}` is 3 bytes
		// and about 100 in memory.
		if s, ok := args[0].(string); ok {
			return steps, 2*int64(len(s)) + int64(jsonx.Values([]byte(s)))*fromJSONValueBytes
		}
	case "matches":
		// Go's regexp runs in time linear in the input times the size of
		// the pattern's program: charged before it runs.
		s, _ := args[0].(string)
		pat, _ := args[1].(string)
		return steps + int64(len(s)+1)*int64(regexpSize(pat))/matchBytesPerStep, 0
	case "==", "!=", "in", "contains":
		// A comparison walks both values whole: a step per element read,
		// however deep (a list of lists of lists is n³ elements).
		for _, a := range args {
			steps += deepCount(a, comparisonWalk)
		}
		return steps, 0
	case "trim":
		// Trimming with a cut set of non-ASCII runes checks each rune of
		// the string against the whole set.
		if len(args) > 1 {
			s, _ := args[0].(string)
			cut, _ := args[1].(string)
			steps += int64(len(s)) * int64(len(cut)) / trimPairsPerStep
		}
	case "uuid5", "minorUnits": // they write their non-string arguments out
		for _, a := range args {
			bytes += deepSize(a, limit-bytes, 0)
			if bytes > limit {
				break
			}
		}
		return steps, bytes
	case "flatten":
		return steps, 16 * deepSize(args[0], limit/16, 0)
	case "concat":
		for _, a := range args {
			bytes += 16 * int64(shallowLen(a))
		}
		return steps, bytes
	}
	if builders[name] {
		for _, a := range args {
			if s, ok := a.(string); ok {
				bytes += 2 * int64(len(s))
			} else {
				bytes += 16 * int64(shallowLen(a))
			}
		}
	}
	return steps, bytes
}

// repeatBytes is what repeat(s, n) builds; over limit, limit+1.
func repeatBytes(args []any, limit int64) int64 {
	s, _ := args[0].(string)
	n := int64(runtime.ToInt(args[1]))
	if n > 0 && int64(len(s)) > 0 && n > (limit+1)/int64(len(s)) {
		return limit + 1
	}
	return int64(len(s)) * max(n, 0)
}

// joinBytes is what join(list, glue) builds.
func joinBytes(args []any) int64 {
	glue := ""
	if len(args) > 1 {
		glue, _ = args[1].(string)
	}
	bytes := int64(shallowLen(args[0])) * int64(len(glue))
	if l, ok := args[0].([]any); ok {
		for _, e := range l {
			if s, ok := e.(string); ok {
				bytes += int64(len(s))
			}
		}
	} else if l, ok := args[0].([]string); ok {
		for _, s := range l {
			bytes += int64(len(s))
		}
	}
	return bytes
}

// replaceBytes is what replace(s, old, new) builds: old "" matches
// between every byte.
func replaceBytes(args []any) int64 {
	s, _ := args[0].(string)
	old, _ := args[1].(string)
	nw, _ := args[2].(string)
	var n int64
	if old == "" {
		n = int64(len(s)) + 1
	} else {
		n = int64(strings.Count(s, old))
	}
	return int64(len(s)) + n*int64(len(nw))
}

// shallowLen is the number of elements of a list or map; 0 for anything
// else.
func shallowLen(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	case string, nil, float64, int, bool:
		return 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len()
	}
	return 0
}

// tooDeep reports whether v nests lists and maps deeper than max levels;
// it looks no deeper than max+1.
func tooDeep(v any, max int) bool {
	if max < 0 {
		return true
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if tooDeep(e, max-1) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, e := range x {
			if tooDeep(e, max-1) {
				return true
			}
		}
		return false
	case string, nil, float64, int, bool:
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if k := rv.Type().Elem().Kind(); k != reflect.Interface && k != reflect.Slice && k != reflect.Array && k != reflect.Map {
			return false // scalars: nothing below
		}
		for i := range rv.Len() {
			if tooDeep(rv.Index(i).Interface(), max-1) {
				return true
			}
		}
	case reflect.Map:
		it := rv.MapRange()
		for it.Next() {
			if tooDeep(it.Value().Interface(), max-1) {
				return true
			}
		}
	}
	return false
}

// deepSize is about the bytes of v written out (strings' lengths, and 16
// per number, element or key, more at depth for toJSON's indentation),
// counted up to limit: past it, limit+1. The same value reached twice (a
// list of one string repeated) counts twice, as it is written twice.
func deepSize(v any, limit int64, depth int64) int64 {
	var n int64
	// Each element's own cost is counted before its contents, so that the
	// walk stops going down as soon as it is over: it never recurses much
	// deeper than the limit allows.
	elem := func(e any, extra int64) bool {
		n += 16 + 2*depth + extra
		if n > limit {
			return false
		}
		n += deepSize(e, limit-n, depth+1)
		return n <= limit
	}
	switch x := v.(type) {
	case string:
		return int64(len(x)) + 2
	case []any:
		for _, e := range x {
			if !elem(e, 0) {
				return limit + 1
			}
		}
		return n
	case map[string]any:
		for k, e := range x {
			if !elem(e, int64(len(k))) {
				return limit + 1
			}
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if !elem(rv.Index(i).Interface(), 0) {
				return limit + 1
			}
		}
		return n
	case reflect.Map:
		it := rv.MapRange()
		for it.Next() {
			if !elem(it.Value().Interface(), deepSize(it.Key().Interface(), limit, 0)) {
				return limit + 1
			}
		}
		return n
	}
	return 16
}

// budgetPatcher rewrites an expression so that evaluating it charges its
// budget, wherever it loops or builds:
//
//   - a predicate's body (map, filter, count, all, any, sum, reduce, ...)
//     becomes `__bridge_step(b); body`: one step per iteration;
//   - `a + b` of strings, or of values of unknown type, becomes a call that
//     charges the bytes of a string result before building it;
//   - a call of a built-in, or of a bridge function, that reads or builds
//     strings and lists becomes
//     `let v1 = arg1; ...; __bridge_pre(b, "name", v1, ...); name(v1, ...)`:
//     its arguments are evaluated once, and what it will read and build is
//     charged before it runs. The built-in itself, and its type, are kept;
//   - so does a comparison (==, !=, in, contains, startsWith, endsWith,
//     matches) of two values that are not literals nor both scalars: it
//     reads whole lists (a step per element) and strings (per KiB).
//
// The budget is the environment's __bridge_budget field; an expression may
// not name it, nor anything else starting with __bridge.
type budgetPatcher struct{ vars int }

func budgetIdent() ast.Node { return &ast.IdentifierNode{Value: budgetVar} }

func (p *budgetPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		if isStep(n.Node) {
			return
		}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{
			&ast.CallNode{Callee: &ast.IdentifierNode{Value: stepFunc}, Arguments: []ast.Node{budgetIdent()}},
			n.Node,
		}}
	case *ast.BinaryNode:
		// matches is guarded even against a literal pattern: its cost is the
		// input's length times the pattern's program (a{0,1000} is 1,000
		// instructions), not the literal's length.
		if n.Operator == "matches" || comparisons[n.Operator] && !literal(n.Left) && !literal(n.Right) && !(scalar(n.Left.Type()) && scalar(n.Right.Type())) {
			op := n.Operator
			p.guard(node, op, []ast.Node{n.Left, n.Right}, func(args []ast.Node) ast.Node {
				return &ast.BinaryNode{Operator: op, Left: args[0], Right: args[1]}
			})
			return
		}
		if n.Operator != "+" || numericOrTime(n.Left.Type()) || numericOrTime(n.Right.Type()) {
			return
		}
		fn := addFunc
		if isString(n.Left.Type()) && isString(n.Right.Type()) {
			fn = catFunc
		}
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{budgetIdent(), n.Left, n.Right}})
	case *ast.MemberNode:
		// A computed key is refused when it is a list or a map: expr's
		// error would write it out whole.
		if !n.Method && !literal(n.Property) && !scalar(n.Property.Type()) && !isString(n.Property.Type()) {
			n.Property = p.checked(indexCheck, n.Property)
		}
	case *ast.SliceNode:
		// Slicing what is neither a string nor a list fails in expr with
		// the value written out whole: refused first, by its type.
		if t := n.Node.Type(); t == nil || t.Kind() == reflect.Interface {
			n.Node = p.checked(sliceCheck, n.Node)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || !charged[id.Value] && !builders[id.Value] || len(n.Arguments) == 0 {
			return
		}
		callee := id.Value
		p.guard(node, callee, n.Arguments, func(args []ast.Node) ast.Node {
			return &ast.CallNode{Callee: &ast.IdentifierNode{Value: callee}, Arguments: args}
		})
	case *ast.BuiltinNode:
		if !charged[n.Name] && !builders[n.Name] || len(n.Arguments) == 0 {
			return
		}
		for _, a := range n.Arguments {
			if _, ok := a.(*ast.PredicateNode); ok {
				return // the predicate's steps are charged
			}
		}
		p.guard(node, n.Name, n.Arguments, func(args []ast.Node) ast.Node {
			return &ast.BuiltinNode{Name: n.Name, Arguments: args, Throws: n.Throws, Map: n.Map}
		})
	}
}

// guard replaces node by `let v1 = vals[0]; ...; __bridge_pre(b, name,
// v1, ...); call(v1, ...)`.
func (p *budgetPatcher) guard(node *ast.Node, name string, vals []ast.Node, call func(args []ast.Node) ast.Node) {
	n := *node
	names := make([]string, len(vals))
	args := make([]ast.Node, len(vals))
	pre := []ast.Node{budgetIdent(), &ast.StringNode{Value: name}}
	for i := range vals {
		p.vars++
		names[i] = fmt.Sprintf("%s%d", letVarPrefix, p.vars)
		args[i] = &ast.IdentifierNode{Value: names[i]}
		args[i].SetLocation(vals[i].Location()) // type errors point at the argument
		pre = append(pre, &ast.IdentifierNode{Value: names[i]})
	}
	c := call(args)
	c.SetLocation(n.Location())
	var out ast.Node = &ast.SequenceNode{Nodes: []ast.Node{
		&ast.CallNode{Callee: &ast.IdentifierNode{Value: preFunc}, Arguments: pre},
		c,
	}}
	for i := len(vals) - 1; i >= 0; i-- {
		out = &ast.VariableDeclaratorNode{Name: names[i], Value: vals[i], Expr: out}
	}
	out.SetLocation(n.Location())
	ast.Patch(node, out)
}

// checked returns `let v = val; __bridge_pre(b, name, v); v`.
func (p *budgetPatcher) checked(name string, val ast.Node) ast.Node {
	p.vars++
	v := fmt.Sprintf("%s%d", letVarPrefix, p.vars)
	out := &ast.VariableDeclaratorNode{Name: v, Value: val, Expr: &ast.SequenceNode{Nodes: []ast.Node{
		&ast.CallNode{Callee: &ast.IdentifierNode{Value: preFunc}, Arguments: []ast.Node{budgetIdent(), &ast.StringNode{Value: name}, &ast.IdentifierNode{Value: v}}},
		&ast.IdentifierNode{Value: v},
	}}}
	out.SetLocation(val.Location())
	return out
}

// Names of the checks of checked.
const (
	indexCheck = "[]"
	sliceCheck = "[:]"
)

// comparisons are the operators that read a whole string or list; a
// comparison with a literal reads no more than the literal, and is left as
// it is.
var comparisons = map[string]bool{"==": true, "!=": true, "in": true, "contains": true, "startsWith": true, "endsWith": true, "matches": true}

func literal(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode, *ast.ConstantNode:
		return true
	case *ast.ArrayNode:
		for _, e := range x.Nodes {
			if !literal(e) {
				return false
			}
		}
		return true
	}
	return false
}

func scalar(t reflect.Type) bool {
	return numericOrTime(t) || t != nil && t.Kind() == reflect.Bool
}

func isStep(n ast.Node) bool {
	s, ok := n.(*ast.SequenceNode)
	if !ok || len(s.Nodes) == 0 {
		return false
	}
	c, ok := s.Nodes[0].(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == stepFunc
}

func numericOrTime(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return t == timeType
}

func isString(t reflect.Type) bool { return t != nil && t.Kind() == reflect.String }

// errReserved is the error of an expression that names the bridge's own
// identifiers.
var errReserved = errors.New("names starting with " + reservedPrefix + " are reserved for the bridge")

// Calibration of the costs the budget charges for work one built-in does
// in a single call: a step is worth about 2 µs (a million steps in the
// default 2 s).
const (
	matchBytesPerStep  = 128       // input bytes × program instructions per step
	fromJSONValueBytes = 128       // what one decoded JSON value costs in memory
	trimPairsPerStep   = 16 << 10  // string bytes × cut set bytes per step
	comparisonWalk     = 2_000_000 // the most elements a comparison's cost walk counts: more than a budget of steps
)

// regexpSize is the number of instructions of pat's compiled program, as
// Go's regexp runs it; 1 for a pattern that does not compile (expr says
// why). Sizes of patterns seen are kept, up to a bound.
func regexpSize(pat string) int {
	if n, ok := regexpSizes.Load(pat); ok {
		return n.(int)
	}
	n := 1
	if re, err := syntax.Parse(pat, syntax.Perl); err == nil {
		if prog, err := syntax.Compile(re.Simplify()); err == nil {
			n = max(len(prog.Inst), 1)
		}
	}
	if regexpSizesKept.Add(1) <= 4096 {
		regexpSizes.Store(pat, n)
	}
	return n
}

var (
	regexpSizes     sync.Map // pattern -> int
	regexpSizesKept atomic.Int64
)

// deepCount is how many elements v holds at every depth, counted up to a
// little past limit; a list of scalars counts its length without visiting
// them.
func deepCount(v any, limit int64) int64 {
	switch x := v.(type) {
	case nil, bool, string, float64, int, int64, json.Number:
		return 0
	case []any:
		n := int64(len(x))
		for _, e := range x {
			if n > limit {
				break
			}
			n += deepCount(e, limit-n)
		}
		return n
	case map[string]any:
		n := int64(len(x))
		for _, e := range x {
			if n > limit {
				break
			}
			n += deepCount(e, limit-n)
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		n := int64(rv.Len())
		if k := rv.Type().Elem().Kind(); k != reflect.Interface && k != reflect.Slice && k != reflect.Array && k != reflect.Map {
			return n // scalars: nothing below
		}
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += deepCount(rv.Index(i).Interface(), limit-n)
		}
		return n
	case reflect.Map:
		n := int64(rv.Len())
		iter := rv.MapRange()
		for iter.Next() && n <= limit {
			n += deepCount(iter.Value().Interface(), limit-n)
		}
		return n
	}
	return 0
}
