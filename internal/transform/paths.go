package transform

import (
	"bytes"
	"strconv"
	"unicode/utf8"
	"unsafe"

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
// payload?.data["object"]) reads that value; any other use of payload, or
// of $env, reads all of it.
func (n *pathNode) readPaths(tree ast.Node) {
	v := &pathVisitor{chains: map[*ast.MemberNode][]string{}, inner: map[*ast.MemberNode]bool{}, roots: map[*ast.IdentifierNode]bool{}}
	ast.Walk(&tree, v)
	for m, path := range v.chains {
		if !v.inner[m] {
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
	chains   map[*ast.MemberNode][]string // constant chains from payload, and their paths
	inner    map[*ast.MemberNode]bool     // chains that are part of a longer chain
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
	case *ast.MemberNode:
		path, root := constChain(x)
		if root == nil {
			return
		}
		v.chains[x] = path
		v.roots[root] = true
		if inner := memberOf(x.Node); inner != nil {
			v.inner[inner] = true
		}
	}
}

// constChain returns the keys of a chain of constant member accesses that
// starts at the payload, and the payload identifier; nil when m is not one.
func constChain(m *ast.MemberNode) ([]string, *ast.IdentifierNode) {
	var rev []string
	for {
		if m.Method {
			return nil, nil
		}
		s, ok := m.Property.(*ast.StringNode)
		if !ok {
			return nil, nil
		}
		rev = append(rev, s.Value)
		if inner := memberOf(m.Node); inner != nil {
			m = inner
			continue
		}
		switch x := m.Node.(type) {
		case *ast.IdentifierNode:
			if x.Value != "payload" {
				return nil, nil
			}
			path := make([]string, len(rev))
			for i, k := range rev {
				path[len(rev)-1-i] = k
			}
			return path, x
		}
		return nil, nil
	}
}

// memberOf returns n as a member access, looking through the node an
// optional chain (a?.b) wraps; nil when n is none.
func memberOf(n ast.Node) *ast.MemberNode {
	if c, ok := n.(*ast.ChainNode); ok {
		n = c.Node
	}
	m, _ := n.(*ast.MemberNode)
	return m
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
			// Not read, not built; but a number out of float64's range
			// makes the whole body undecodable, read or not.
			ok = numbersInRange(kv)
			return
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

// numbersInRange reports whether every number in v is within float64's
// range. Only a literal with an exponent or over 308 characters can fall
// out of it; only those are parsed.
func numbersInRange(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		ok := true
		o.Visit(func(_ []byte, kv *fastjson.Value) { ok = ok && numbersInRange(kv) })
		return ok
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if !numbersInRange(e) {
				return false
			}
		}
	case fastjson.TypeNumber:
		var buf [32]byte
		raw := v.MarshalTo(buf[:0])
		if len(raw) > 308 || bytes.IndexAny(raw, "eE") >= 0 {
			_, ok := convert(v)
			return ok
		}
	}
	return true
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
		raw := v.MarshalTo(buf[:0])
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64)
		if err != nil {
			return nil, false // out of range: DecodeJSON says so
		}
		return f, true
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	case fastjson.TypeNull:
		return nil, true
	}
	return nil, false
}
