package transform

import (
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// fetchFunc is the function a chain of member accesses on a JSON value
// (payload.data.object.id) is compiled into: one call instead of one
// reflective fetch, and one allocation, per member.
const fetchFunc = "__bridge_fetch"

// fetchOptions are the expr options of the fetch rewrite: the function,
// and the patcher that calls it.
func fetchOptions() []expr.Option {
	return []expr.Option{
		expr.Function(fetchFunc, fetchPath, new(func(any, ...string) any)),
		expr.Patch(fetchPatcher{}),
	}
}

// fetchPath fetches keys one after the other from v, as expr's member
// access does: from a JSON object directly, from anything else through
// expr's own fetch, which fails (panics, as the VM expects) with the same
// message as the member access would.
func fetchPath(args ...any) (any, error) {
	v := args[0]
	for _, k := range args[1:] {
		key := k.(string)
		if m, ok := v.(map[string]any); ok {
			v = m[key] // a missing key is nil, as expr's fetch gives
			continue
		}
		v = runtime.Fetch(v, key)
	}
	return v, nil
}

// fetchPatcher rewrites a member access by a constant name, not optional
// (a?.b keeps expr's own short-circuit), on a value of no static type (a
// JSON value: payload, item, what they hold) into a fetchFunc call, and
// appends to that call the accesses that follow it. Typed values (headers,
// envelope) keep expr's own access.
type fetchPatcher struct{}

func (fetchPatcher) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return
	}
	key, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	var args []ast.Node
	if c := fetchCall(m.Node); c != nil {
		args = append(slices.Clone(c.Arguments), &ast.StringNode{Value: key.Value})
	} else {
		if t := m.Node.Type(); t != nil && t.Kind() != reflect.Interface {
			return
		}
		args = []ast.Node{m.Node, &ast.StringNode{Value: key.Value}}
	}
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fetchFunc}, Arguments: args})
}

// fetchCall returns n as a call of fetchFunc whose keys are all constant
// names, or nil.
func fetchCall(n ast.Node) *ast.CallNode {
	c, ok := n.(*ast.CallNode)
	if !ok || len(c.Arguments) < 2 {
		return nil
	}
	if id, ok := c.Callee.(*ast.IdentifierNode); !ok || id.Value != fetchFunc {
		return nil
	}
	for _, a := range c.Arguments[1:] {
		if _, ok := a.(*ast.StringNode); !ok {
			return nil
		}
	}
	return c
}
