package scaffold

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// value is a JSON value that keeps its object keys in the order the sample
// wrote them, so the scaffold proposes fields in the provider's order.
type value struct {
	kind   kind
	fields []field // object
	items  []value // array
	scalar any     // string, json.Number, bool or nil
}

type kind int

const (
	kindScalar kind = iota
	kindObject
	kindArray
)

type field struct {
	key string
	val value
}

// parseJSON reads one JSON document, keys in order; trailing data is an
// error.
func parseJSON(b []byte) (value, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return value{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return value{}, fmt.Errorf("data after the JSON value at byte %d", dec.InputOffset())
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (value, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return value{}, io.ErrUnexpectedEOF
		}
		return value{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := value{kind: kindObject}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return value{}, err
				}
				fv, err := parseValue(dec)
				if err != nil {
					return value{}, err
				}
				v.fields = append(v.fields, field{key: k.(string), val: fv})
			}
			_, err := dec.Token() // '}'
			return v, err
		case '[':
			v := value{kind: kindArray}
			for dec.More() {
				iv, err := parseValue(dec)
				if err != nil {
					return value{}, err
				}
				v.items = append(v.items, iv)
			}
			_, err := dec.Token() // ']'
			return v, err
		}
		return value{}, fmt.Errorf("unexpected %v", t)
	default:
		return value{scalar: t}, nil
	}
}

// get is the object member named key.
func (v value) get(key string) (value, bool) {
	if v.kind != kindObject {
		return value{}, false
	}
	for _, f := range v.fields {
		if f.key == key {
			return f.val, true
		}
	}
	return value{}, false
}

// step is one step of a path: an object key, or index 0 of a list.
type step struct {
	key   string
	index bool
}

type path []step

func keys(ks ...string) path {
	p := make(path, len(ks))
	for i, k := range ks {
		p[i] = step{key: k}
	}
	return p
}

func (p path) with(s step) path {
	return append(append(path(nil), p...), s)
}

// at is the value at p, and whether it is there.
func (v value) at(p path) (value, bool) {
	for _, s := range p {
		if s.index {
			if v.kind != kindArray || len(v.items) == 0 {
				return value{}, false
			}
			v = v.items[0]
			continue
		}
		var ok bool
		if v, ok = v.get(s.key); !ok {
			return value{}, false
		}
	}
	return v, true
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expr is p as an expression on root: payload.data.object.id,
// payload.pix[0].endToEndId, payload["x-y"].
func (p path) expr(root string) string {
	var b strings.Builder
	b.WriteString(root)
	for _, s := range p {
		switch {
		case s.index:
			b.WriteString("[0]")
		case identRE.MatchString(s.key) && !reserved[s.key]:
			b.WriteString("." + s.key)
		default:
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		}
	}
	return b.String()
}

// reserved are expr's words that cannot follow a dot.
var reserved = map[string]bool{"in": true, "not": true, "and": true, "or": true, "matches": true,
	"contains": true, "startsWith": true, "endsWith": true, "let": true, "nil": true, "true": true, "false": true}

func (v value) isString() bool { _, ok := v.scalar.(string); return v.kind == kindScalar && ok }

// isID is a value an entity id can be: a non-empty string or a number.
func (v value) isID() bool {
	if v.kind != kindScalar {
		return false
	}
	switch s := v.scalar.(type) {
	case string:
		return s != ""
	case json.Number:
		return true
	}
	return false
}
