package transform

import (
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// fetchFunc is the function a chain of member accesses on a JSON value
// (payload.data.object.id, payload.a?.b?.c) is compiled into: one call
// instead of one fetch per member, and no allocation but the VM's for
// its two arguments, the value and the chain's *fetchKeys (a constant).
const fetchFunc = "__bridge_fetch"

// fetchKeys are the keys a fetchFunc call reads, one after the other.
type fetchKeys struct {
	keys []string
	// optional marks the keys read with ?. (nil: none is): an optional
	// access on nil ends the chain with nil, as expr's chain does.
	optional []bool
}

// fetchOptions are the expr options of the fetch rewrite: the function,
// and the patcher that calls it.
func fetchOptions() []expr.Option {
	return []expr.Option{
		expr.Function(fetchFunc, fetchPath, new(func(any, *fetchKeys) any)),
		expr.Patch(fetchPatcher{}),
	}
}

// fetchPath fetches keys one after the other from v, as expr's member
// access does: from a JSON object directly, from anything else through
// expr's own fetch, which fails (panics, as the VM expects) with the same
// message as the member access would.
func fetchPath(args ...any) (any, error) {
	v, fk := args[0], args[1].(*fetchKeys)
	for i, key := range fk.keys {
		if v == nil && fk.optional != nil && fk.optional[i] {
			return nil, nil
		}
		if m, ok := v.(map[string]any); ok {
			v = m[key] // a missing key is nil, as expr's fetch gives
			continue
		}
		v = runtime.Fetch(v, key)
	}
	return v, nil
}

// fetchPatcher rewrites a member access by a constant name on a value of
// no static type (a JSON value: payload, item, what they hold) into a
// fetchFunc call, and appends to that call the accesses that follow it.
// Typed values (headers, envelope) keep expr's own access. An optional
// access (a?.b) is rewritten only with the whole chain it belongs to, when
// that chain is made of nothing else (foldChain): its short-circuit skips
// the rest of the chain, which one call can do only if it is the chain.
type fetchPatcher struct{}

func (fetchPatcher) Visit(node *ast.Node) {
	if ch, ok := (*node).(*ast.ChainNode); ok {
		foldChain(node, ch)
		return
	}
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return
	}
	key, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	from, fk := fetchCall(m.Node)
	var keys []string
	if fk != nil && fk.optional == nil {
		keys = append(slices.Clone(fk.keys), key.Value)
	} else {
		if t := m.Node.Type(); t != nil && t.Kind() != reflect.Interface {
			return
		}
		from, keys = m.Node, []string{key.Value}
	}
	patchFetch(node, from, &fetchKeys{keys: keys})
}

// patchFetch replaces node by a fetchFunc call reading fk from from.
func patchFetch(node *ast.Node, from ast.Node, fk *fetchKeys) {
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fetchFunc},
		Arguments: []ast.Node{from, &ast.ConstantNode{Value: fk}}})
}

// fetchCall returns the value n, a fetchFunc call, reads from and the
// keys it reads; nil keys when n is no such call.
func fetchCall(n ast.Node) (from ast.Node, fk *fetchKeys) {
	c, ok := n.(*ast.CallNode)
	if !ok || len(c.Arguments) != 2 {
		return nil, nil
	}
	if id, ok := c.Callee.(*ast.IdentifierNode); !ok || id.Value != fetchFunc {
		return nil, nil
	}
	k, ok := c.Arguments[1].(*ast.ConstantNode)
	if !ok {
		return nil, nil
	}
	fk, _ = k.Value.(*fetchKeys)
	if fk == nil {
		return nil, nil
	}
	return c.Arguments[0], fk
}

// foldChain rewrites a chain (an expression with ?.) made only of member
// accesses by constant names on a value of no static type into one
// fetchFunc call. The accesses that are not optional were already folded
// into fetchFunc calls (the patcher visits a node's children first);
// anything else in the chain (an index by a computed key, a method call)
// leaves it to expr.
func foldChain(node *ast.Node, ch *ast.ChainNode) {
	from, fk, ok := chainAccesses(ch.Node)
	if !ok || !slices.Contains(fk.optional, true) {
		return
	}
	if t := from.Type(); t != nil && t.Kind() != reflect.Interface {
		return
	}
	patchFetch(node, from, fk)
}

// chainAccesses takes n apart into the value the chain starts from and
// the keys read from it, with their optional marks; ok is false when n
// is not made only of constant member accesses (optional ones and
// fetchFunc calls without optional keys).
func chainAccesses(n ast.Node) (from ast.Node, fk *fetchKeys, ok bool) {
	if base, inner := fetchCall(n); inner != nil && inner.optional == nil {
		from, fk, ok = chainAccesses(base)
		if !ok {
			return nil, nil, false
		}
		for _, k := range inner.keys {
			fk.keys, fk.optional = append(fk.keys, k), append(fk.optional, false)
		}
		return from, fk, ok
	}
	if m, isMember := n.(*ast.MemberNode); isMember {
		key, isString := m.Property.(*ast.StringNode)
		if !isString || m.Method || !m.Optional {
			return nil, nil, false
		}
		from, fk, ok = chainAccesses(m.Node)
		if ok {
			fk.keys, fk.optional = append(fk.keys, key.Value), append(fk.optional, true)
		}
		return from, fk, ok
	}
	return n, &fetchKeys{}, true
}
