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
	a, aok := ParseDecimal(lit)
	b, bok := ParseDecimal(unsafe.String(unsafe.SliceData(shortest), len(shortest)))
	return aok && bok && a.Neg == b.Neg && a.Exp == b.Exp && sameDigits(a, b)
}

// Decimal is a decimal number's value as 0.d1d2...dn × 10^Exp, its
// significant digits without leading or trailing zeros (Len of them,
// Digit(i) each). Zero has no digits, an exponent of 0 and no sign. An
// exponent written beyond ±maxDecimalExp reads as one past it: as far
// out of any float64's or amount's range, at no cost.
type Decimal struct {
	Neg       bool
	Exp       int
	int, frac string // the digits written before and after the point
	skip, n   int    // the significant digits: from skip on, n of them
}

const maxDecimalExp = 1 << 20

// ParseDecimal reads s, a decimal number: [-+]digits[.digits][e[-+]digits],
// with at least one digit before the exponent (either side of the point);
// false for anything else. A JSON number literal is one.
func ParseDecimal(s string) (Decimal, bool) {
	var d Decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.Neg, s = s[0] == '-', s[1:]
	}
	mant, es, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, es, hasExp = s[:i], s[i+1:], true
	}
	d.int = mant
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		d.int, d.frac = mant[:i], mant[i+1:]
	}
	if !allDigits(d.int) || !allDigits(d.frac) || d.int == "" && d.frac == "" {
		return Decimal{}, false
	}
	e := 0
	if hasExp {
		var ok bool
		if e, ok = exponent(es); !ok {
			return Decimal{}, false
		}
	}
	all := len(d.int) + len(d.frac)
	lead := 0
	for lead < all && d.Digit(lead) == '0' {
		lead++
	}
	if lead == all { // zero, whatever its sign and exponent
		return Decimal{}, true
	}
	trail := all
	for d.Digit(trail-1) == '0' {
		trail--
	}
	d.skip, d.n = lead, trail-lead
	d.Exp = len(d.int) - lead + e
	return d, true
}

// exponent reads a number's exponent (after the e): [-+]digits, one
// beyond ±maxDecimalExp read as one past it; false when it is not one.
func exponent(es string) (int, bool) {
	neg := false
	if es != "" && (es[0] == '-' || es[0] == '+') {
		neg, es = es[0] == '-', es[1:]
	}
	if es == "" || !allDigits(es) {
		return 0, false
	}
	es = strings.TrimLeft(es, "0")
	e := maxDecimalExp + 1
	if len(es) <= 7 {
		e = 0
		for _, c := range []byte(es) {
			e = e*10 + int(c-'0')
		}
		e = min(e, maxDecimalExp+1)
	}
	if neg {
		e = -e
	}
	return e, true
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Len is the number of d's significant digits.
func (d Decimal) Len() int { return d.n }

// Digit is d's significant digit i (0 <= i < Len), or '0' past them.
func (d Decimal) Digit(i int) byte {
	if i += d.skip; i < len(d.int) {
		return d.int[i]
	} else if i -= len(d.int); i < len(d.frac) {
		return d.frac[i]
	}
	return '0'
}

func sameDigits(a, b Decimal) bool {
	if a.n != b.n {
		return false
	}
	for i := 0; i < a.n; i++ {
		if a.Digit(i) != b.Digit(i) {
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
