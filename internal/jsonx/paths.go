package jsonx

import (
	"bytes"
	"slices"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Paths is the part of a JSON value a reader needs: the value itself at
// the root, each key read by name below it. A node read whole (given to a
// function, compared, iterated, indexed by a computed key) is decoded
// whole. The zero value reads nothing; a nil *Paths reads everything.
type Paths struct {
	whole bool
	kids  map[string]*Paths
	name  string // the key this node is under in its parent: the built map's key, made once
}

// Add marks the value at path as read whole (an empty path: the root).
func (n *Paths) Add(path []string) {
	for _, k := range path {
		if n.whole {
			return
		}
		if n.kids == nil {
			n.kids = map[string]*Paths{}
		}
		kid := n.kids[k]
		if kid == nil {
			kid = &Paths{name: k}
			n.kids[k] = kid
		}
		n = kid
	}
	n.whole, n.kids = true, nil
}

// Whole reports whether the root is read whole.
func (n *Paths) Whole() bool { return n == nil || n.whole }

// List returns the values read whole, each as root followed by its keys
// joined with dots ("payload.data.object"), sorted.
func (n *Paths) List(root string) []string {
	if n.whole {
		return []string{root}
	}
	var out []string
	for k, kid := range n.kids {
		out = append(out, kid.List(root+"."+k)...)
	}
	slices.Sort(out)
	return out
}

var parsers fastjson.ParserPool

// DecodePaths decodes of a JSON body only what need says is read: the
// same values Decode gives at those paths, without building the rest. It
// validates the whole body first; whatever it does not handle itself
// (escapes, invalid UTF-8, numbers out of range, invalid JSON) it leaves
// to Decode, which gives the value or the error as always.
func DecodePaths(body []byte, need *Paths) (any, error) {
	if need.Whole() {
		return Decode(body)
	}
	if err := checkLimits(body); err != nil {
		return nil, err
	}
	// Without a backslash, and in valid UTF-8, a string's bytes are its
	// value: what encoding/json decodes, exactly.
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) || fastjson.ValidateBytes(body) != nil {
		return Decode(body)
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return Decode(body)
	}
	out, ok := project(v, need)
	if !ok {
		return Decode(body)
	}
	return out, nil
}

// project converts what n reads of v; a value that is not an object is
// converted whole, so that a reader sees what it would have seen.
func project(v *fastjson.Value, n *Paths) (any, bool) {
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
		out[kid.name] = x // a repeated key: the last one wins, as in encoding/json
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
		return numberValue(v.MarshalTo(buf[:0])) // out of range: Decode says so
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	case fastjson.TypeNull:
		return nil, true
	}
	return nil, false
}
