package jsonx

import (
	"bytes"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The fast path DecodePaths had before its one-pass scanner, kept as the
// reference the scanner is compared with (FuzzScanAgreesWithFastjson):
// checkLimits, no backslash, valid UTF-8, fastjson's strict validation,
// then fastjson's parse cut to the paths read.

var parsers fastjson.ParserPool

// fastjsonPath is the old fast path: ok is false where it left the body to
// Decode.
func fastjsonPath(body []byte, need *Paths) (any, bool) {
	if checkLimits(body) != nil {
		return nil, false
	}
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) || fastjson.ValidateBytes(body) != nil {
		return nil, false
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, false
	}
	return project(v, need)
}

func project(v *fastjson.Value, n *Paths) (any, bool) {
	if n.Whole() || v.Type() != fastjson.TypeObject {
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
			return
		}
		x, good := project(kv, kid)
		if !good {
			ok = false
			return
		}
		out[kid.name] = x
	})
	return out, ok
}

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
		return numberValue(v.MarshalTo(buf[:0]))
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	case fastjson.TypeNull:
		return nil, true
	}
	return nil, false
}

// scanPath is the new fast path alone: ok is false where DecodePaths
// leaves the body to Decode.
func scanPath(body []byte, need *Paths) (any, bool) {
	s := scanners.Get().(*scanner)
	defer s.release()
	if !s.scan(body, need) {
		return nil, false
	}
	return s.build(), true
}
