package jsonx

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// AppendFloat writes every float as encoding/json does, on both sides
// of the bounds where it switches to the exponent form (1e-6 and 1e21).
func TestAppendJSONFloatAsEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 123.456, 1e-6, 1e-7, 9.99e-7, -1e-6, -1e-7, 1e20, 1e21, 9.99e20, -1e21, 1e-10,
		1.5e-300, 1e300, math.SmallestNonzeroFloat64, math.MaxFloat64, 1 << 53} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := AppendFloat([]byte("x"), f)
		if !ok || string(got) != "x"+string(want) {
			t.Errorf("AppendFloat(%v) = %q, %v; want %q", f, got, ok, "x"+string(want))
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, ok := AppendFloat(nil, f); ok {
			t.Errorf("AppendFloat(%v) ok, want refused", f)
		}
	}
}

// appendJSONString writes every string as encoding/json does without HTML
// escaping: control characters escaped, invalid UTF-8 as U+FFFD, U+2028
// and U+2029 escaped.
func TestAppendJSONStringAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x01\x1f\x7f", "\b\f\n\r\t", "<&>",
		"\x80", "a\x80b", "\xff\xfe", "é ü 中", "\u2028\u2029", "\xe2\x80", "tail\xc3"} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(b.String(), "\n")
		if got := string(appendJSONString(nil, s)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
