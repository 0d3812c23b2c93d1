package jsonx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unsafe"

	gojson "github.com/goccy/go-json"
)

// A JSON number reaches expressions and data exactly as the provider wrote
// it, never rounded. Most numbers are float64, as encoding/json decodes
// them; a literal that float64 cannot write back as the same number (an
// integer beyond 2^53 such as 12345678901234567891, or a decimal with more
// than 15 significant digits) is kept as a json.Number holding the
// literal. Such a value passes unchanged into data (written as the same
// literal), ids and idempotency keys (its digits), string(), uuid5 and
// minorUnits; arithmetic or a comparison with a number fails the delivery
// as an eval_error naming the field instead of computing with a rounded
// value.

// numberValue gives the value of a valid JSON number literal: a float64
// when that writes back as the same number, else the literal as a
// json.Number (so too a literal beyond float64's range, such as 1e309:
// JSON has no range, and the provider's body is not refused for it). ok
// is always true.
func numberValue(raw []byte) (v any, ok bool) {
	if f, ok := numberFloat(raw); ok {
		return f, true
	}
	return json.Number(string(raw)), true
}

// numberFloat gives the float64 of a valid JSON number literal and true
// when that float64 writes back as the same number; false when numberValue
// keeps the literal.
func numberFloat(raw []byte) (float64, bool) {
	s := unsafe.String(unsafe.SliceData(raw), len(raw))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || mayBeInexact(raw) && !floatWritesAs(f, s) {
		return 0, false
	}
	return f, true
}

// mayBeInexact reports whether a number literal might not survive float64:
// one of at most 15 characters without an exponent has at most 15
// significant digits and is written back as the same number.
func mayBeInexact(raw []byte) bool {
	if len(raw) > 15 {
		return true
	}
	for _, c := range raw {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// floatWritesAs reports whether f, written as the shortest decimal that
// reads back as f (what the JSON writer writes), is the number lit: the
// same decimal value, compared digit by digit. (Not with big.Rat: a
// literal such as 1e-999999 would cost it 10^999999, tens of milliseconds
// of CPU for nine bytes of a provider's body.)
func floatWritesAs(f float64, lit string) bool {
	var buf [32]byte
	shortest := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	a, b := decimalOf(lit), decimalOf(unsafe.String(unsafe.SliceData(shortest), len(shortest)))
	return a.ok && b.ok && a.neg == b.neg && a.exp == b.exp && sameDigits(a, b)
}

// decimal is a number literal's value as 0.d1d2...dn × 10^exp, its
// significant digits without leading or trailing zeros: the digits are
// those of int and frac, from skip on, n of them. Zero has no digits, an
// exponent of 0 and no sign. ok is false for a literal this cannot read,
// or whose exponent is beyond ±maxDecimalExp (no float64 is written so).
type decimal struct {
	neg       bool
	int, frac string
	skip, n   int
	exp       int
	ok        bool
}

const maxDecimalExp = 1 << 20

func decimalOf(s string) decimal {
	var d decimal
	if strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	mant, es := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, es = s[:i], s[i+1:]
	}
	d.int = mant
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		d.int, d.frac = mant[:i], mant[i+1:]
	}
	all := len(d.int) + len(d.frac)
	lead := 0
	for lead < all && d.digit(lead) == '0' {
		lead++
	}
	if lead == all { // zero, whatever its sign and exponent
		return decimal{ok: true}
	}
	trail := all
	for d.digit(trail-1) == '0' {
		trail--
	}
	e, ok := exponent(es)
	if !ok {
		return decimal{}
	}
	d.skip, d.n = lead, trail-lead
	d.exp = len(d.int) - lead + e
	d.ok = -maxDecimalExp <= d.exp && d.exp <= maxDecimalExp
	return d
}

// exponent reads a number literal's exponent (after the e); false when it
// is beyond ±maxDecimalExp or not digits.
func exponent(es string) (int, bool) {
	es = strings.TrimPrefix(es, "+")
	neg := strings.HasPrefix(es, "-")
	es = strings.TrimLeft(strings.TrimPrefix(es, "-"), "0")
	if len(es) > 7 {
		return 0, false
	}
	e := 0
	for _, c := range []byte(es) {
		if c < '0' || c > '9' {
			return 0, false
		}
		e = e*10 + int(c-'0')
	}
	if neg {
		e = -e
	}
	return e, e >= -maxDecimalExp && e <= maxDecimalExp
}

// digit is the i-th digit of int followed by frac.
func (d *decimal) digit(i int) byte {
	if i < len(d.int) {
		return d.int[i]
	}
	return d.frac[i-len(d.int)]
}

func sameDigits(a, b decimal) bool {
	if a.n != b.n {
		return false
	}
	for i := 0; i < a.n; i++ {
		if a.digit(a.skip+i) != b.digit(b.skip+i) {
			return false
		}
	}
	return true
}

// hasLongNumber reports whether body holds a number literal that
// mayBeInexact; strings are skipped. body is valid JSON.
func hasLongNumber(body []byte) bool {
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
		case c == '-' || (c >= '0' && c <= '9'):
			start := i
			for i < len(body) && isNumberByte(body[i]) {
				i++
			}
			if mayBeInexact(body[start:i]) {
				return true
			}
			i--
		}
	}
	return false
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// decodeExact decodes valid JSON keeping every number as numberValue gives
// it.
func decodeExact(body []byte) (any, error) {
	var v any
	dec := gojson.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return exactNumbers(v), nil
}

// exactNumbers replaces, in a value decoded with UseNumber, each
// json.Number by its numberValue.
func exactNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, ok := numberValue([]byte(x)); ok {
			return n
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = exactNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = exactNumbers(e)
		}
	}
	return v
}
