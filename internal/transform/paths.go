package transform

import (
	"bytes"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/valyala/fastjson"
)

// pathNode is the part of a payload a mapping file's expressions can read:
// the payload itself at the root, each key the expressions read by name
// below it. A whole node is read as a value (given to a function, compared,
// iterated, indexed by a computed key): all of it is decoded.
type pathNode struct {
	whole bool
	kids  map[string]*pathNode
}

// add marks the value at path as read whole.
func (n *pathNode) add(path []string) {
	for _, k := range path {
		if n.whole {
			return
		}
		if n.kids == nil {
			n.kids = map[string]*pathNode{}
		}
		kid := n.kids[k]
		if kid == nil {
			kid = &pathNode{}
			n.kids[k] = kid
		}
		n = kid
	}
	n.whole, n.kids = true, nil
}

// readPaths adds to n what the expression tree reads of `payload`: every
// longest chain of constant member accesses from it (payload.data.object.id,
// payload?.data["object"], or the fetchFunc call such a chain is compiled
// into) reads that value; any other use of payload, or of $env, reads all
// of it.
func (n *pathNode) readPaths(tree ast.Node) {
	v := &pathVisitor{chains: map[ast.Node][]string{}, inner: map[ast.Node]bool{}, roots: map[*ast.IdentifierNode]bool{}}
	ast.Walk(&tree, v)
	for c, path := range v.chains {
		if !v.inner[c] {
			n.add(path)
		}
	}
	for _, id := range v.payloads {
		if !v.roots[id] {
			n.add(nil) // payload read whole
		}
	}
	if v.env {
		n.add(nil)
	}
}

type pathVisitor struct {
	chains   map[ast.Node][]string        // constant chains from payload, and their paths
	inner    map[ast.Node]bool            // chains that are the start of a longer chain
	roots    map[*ast.IdentifierNode]bool // payload identifiers at the root of a chain
	payloads []*ast.IdentifierNode        // every payload identifier
	env      bool                         // $env is read
}

func (v *pathVisitor) Visit(node *ast.Node) {
	switch x := (*node).(type) {
	case *ast.IdentifierNode:
		switch x.Value {
		case "payload":
			v.payloads = append(v.payloads, x)
		case "$env":
			v.env = true
		}
	case *ast.MemberNode, *ast.CallNode:
		path, root, base := constChain(x)
		if root == nil {
			return
		}
		v.chains[x] = path
		v.roots[root] = true
		if base != nil {
			v.inner[base] = true
		}
	}
}

// constChain returns the keys of a chain of constant member accesses that
// starts at the payload, the payload identifier, and the chain it extends
// (nil when it extends none); a nil identifier when n is not such a chain.
func constChain(n ast.Node) (path []string, root *ast.IdentifierNode, base ast.Node) {
	var rev []string
	for cur := n; ; {
		var next ast.Node
		switch x := cur.(type) {
		case *ast.ChainNode:
			cur = x.Node
			continue
		case *ast.MemberNode:
			s, ok := x.Property.(*ast.StringNode)
			if x.Method || !ok {
				return nil, nil, nil
			}
			rev = append(rev, s.Value)
			next = x.Node
		case *ast.CallNode:
			c := fetchCall(x)
			if c == nil {
				return nil, nil, nil
			}
			for i := len(c.Arguments) - 1; i >= 1; i-- {
				rev = append(rev, c.Arguments[i].(*ast.StringNode).Value)
			}
			next = c.Arguments[0]
		case *ast.IdentifierNode:
			if x.Value != "payload" || len(rev) == 0 {
				return nil, nil, nil
			}
			path = make([]string, len(rev))
			for i, k := range rev {
				path[len(rev)-1-i] = k
			}
			return path, x, base
		default:
			return nil, nil, nil
		}
		if base == nil {
			base = unwrapChain(next)
		}
		cur = next
	}
}

// unwrapChain returns the node an optional chain (a?.b) wraps, or n.
func unwrapChain(n ast.Node) ast.Node {
	if c, ok := n.(*ast.ChainNode); ok {
		return c.Node
	}
	return n
}

var jsonParsers fastjson.ParserPool

// decodeRead decodes of a JSON body only what need says the expressions
// read: the same values DecodeJSON gives at those paths, without building
// the rest. It validates the whole body first; whatever it does not handle
// itself (escapes, invalid UTF-8, numbers out of range, invalid JSON) it
// leaves to DecodeJSON, which gives the value or the error as always.
func decodeRead(body []byte, need *pathNode) (any, error) {
	if need == nil || need.whole {
		return DecodeJSON(body)
	}
	if err := checkJSONLimits(body); err != nil {
		return nil, err
	}
	// Without a backslash, and in valid UTF-8, a string's bytes are its
	// value: what encoding/json decodes, exactly.
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) || fastjson.ValidateBytes(body) != nil {
		return DecodeJSON(body)
	}
	p := jsonParsers.Get()
	defer jsonParsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return DecodeJSON(body)
	}
	out, ok := project(v, need)
	if !ok {
		return DecodeJSON(body)
	}
	return out, nil
}

// project converts what n reads of v; a value that is not an object is
// converted whole, so that an expression sees what it would have seen.
func project(v *fastjson.Value, n *pathNode) (any, bool) {
	if n.whole || v.Type() != fastjson.TypeObject {
		return convert(v)
	}
	o, _ := v.Object()
	out := make(map[string]any, len(n.kids))
	ok := true
	o.Visit(func(k []byte, kv *fastjson.Value) {
		if !ok {
			return
		}
		kid := n.kids[string(k)]
		if kid == nil {
			return // not read, not built
		}
		x, good := project(kv, kid)
		if !good {
			ok = false
			return
		}
		out[string(k)] = x // a repeated key: the last one wins, as in encoding/json
	})
	return out, ok
}

// convert gives the Go value of v as encoding/json decodes it into an any.
func convert(v *fastjson.Value) (any, bool) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		out := make(map[string]any, o.Len())
		ok := true
		o.Visit(func(k []byte, kv *fastjson.Value) {
			if !ok {
				return
			}
			x, good := convert(kv)
			ok = good
			out[string(k)] = x
		})
		return out, ok
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]any, len(a))
		for i, e := range a {
			x, ok := convert(e)
			if !ok {
				return nil, false
			}
			out[i] = x
		}
		return out, true
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b), true
	case fastjson.TypeNumber:
		var buf [32]byte
		return numberValue(v.MarshalTo(buf[:0])) // out of range: DecodeJSON says so
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	case fastjson.TypeNull:
		return nil, true
	}
	return nil, false
}
