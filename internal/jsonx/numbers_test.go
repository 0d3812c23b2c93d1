package jsonx

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestNumberValue(t *testing.T) {
	for _, tc := range []struct {
		lit   string
		exact bool // kept as the literal (json.Number)
		ok    bool
	}{
		{"1", false, true},
		{"-0", false, true},
		{"12.5", false, true},
		{"0.1", false, true},
		{"1.5e3", false, true},
		{"123456789012345", false, true},
		{"123456789012345.5", false, true},     // 16 digits a float64 holds
		{"9007199254740992", false, true},      // 2^53
		{"9007199254740993", true, true},       // 2^53+1 rounds
		{"12345678901234567891", true, true},   // beyond int64 too
		{"-12345678901234567891", true, true},  // negative
		{"1152921504606846976", true, true},    // 2^60: exact in binary, written back as 1152921504606847000
		{"0.12345678901234567890", true, true}, // more digits than a float64 holds
		{"1.0000000000000000001", true, true},
		{"1e400", true, true}, // beyond float64: kept as written
		{"-1E309", true, true},
	} {
		v, ok := numberValue([]byte(tc.lit))
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.lit, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		n, isNumber := v.(json.Number)
		if isNumber != tc.exact {
			t.Errorf("%s: got %T %v, want json.Number %v", tc.lit, v, v, tc.exact)
		}
		if isNumber && string(n) != tc.lit {
			t.Errorf("%s: kept %q", tc.lit, n)
		}
		// Whatever the type, the JSON writer writes the same number back.
		out, _, err := Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", tc.lit, err)
		}
		if !floatWritesAsOrSame(string(out), tc.lit) {
			t.Errorf("%s: written as %s", tc.lit, out)
		}
	}
}

func floatWritesAsOrSame(out, lit string) bool {
	return out == lit || floatWritesAs(mustFloat(out), lit)
}

func mustFloat(s string) float64 {
	var f float64
	_ = json.Unmarshal([]byte(s), &f)
	return f
}

func FuzzHasLongNumber(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"12345678901234567891"}`, `[12345678901234567891]`, `{"a\"":1e5}`, `-1.5E-3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := Decode(body)
		if err != nil {
			return
		}
		// The scan decides whether the exact decode runs: a long number it
		// missed would reach expressions rounded.
		exact, err := decodeExact(body)
		if err != nil {
			t.Fatalf("%s: Decode took it, the exact decode did not: %v", body, err)
		}
		if !reflect.DeepEqual(v, exact) {
			t.Fatalf("%s: decoded %#v, exactly %#v", body, v, exact)
		}
	})
}

func containsNumber(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return true
	case map[string]any:
		for _, e := range x {
			if containsNumber(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if containsNumber(e) {
				return true
			}
		}
	}
	return false
}

// floatWritesAsByRat is floatWritesAs as it was, with big.Rat: the
// reference the digit comparison must agree with.
func floatWritesAsByRat(f float64, lit string) bool {
	want, ok := new(big.Rat).SetString(lit)
	if !ok {
		return false
	}
	got, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return ok && got.Cmp(want) == 0
}

// A literal's value is compared with its float64's digit by digit, as
// big.Rat compared them, and without its cost: 1e-999999 is no longer
// 10^999999 computed (attack of 2026-12-06: two seconds of CPU per KiB of
// such numbers in a body).
func TestFloatWritesAs(t *testing.T) {
	for _, lit := range []string{
		"0", "-0", "0.0", "0e5", "-0.000e-99999999999", "1", "-1", "10", "1e1", "1E+1", "100e-2", "0.1", "0.10", "1e-1",
		"0.30000000000000004", "0.3000000000000000444", "123456789012345678", "1234567890123456789012",
		"9007199254740993", "9007199254740992", "1.7976931348623157e308", "4.9e-324", "5e-324", "2.4703282292062328e-324",
		"1e-400", "1e400", "1e-999999", "-1e-999999", "1e-99999999999999", "1.5e300", "0.000001", "1e-7", "12.5e-1",
		"100000000000000000000000", "1e23", "1.0000000000000001",
	} {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			continue // out of range: numberFloat keeps the literal before asking
		}
		want := false
		if exp := strings.IndexAny(lit, "eE"); exp < 0 || len(strings.TrimLeft(strings.TrimLeft(lit[exp+1:], "+-"), "0")) <= 4 {
			want = floatWritesAsByRat(f, lit)
		} else if f == 0 && strings.Trim(lit[:exp], "-0.") == "" {
			want = true // a zero
		}
		if got := floatWritesAs(f, lit); got != want {
			t.Errorf("floatWritesAs(%v, %q) = %v, want %v", f, lit, got, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { floatWritesAs(0, "1e-999999") }); n != 0 {
		t.Errorf("floatWritesAs allocates %v times: a big number is computed", n)
	}
}

func FuzzFloatWritesAs(f *testing.F) {
	for _, s := range []string{"1", "0.1", "1e-7", "9007199254740993", "1e23", "-0.0e10", "12.50e-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if !json.Valid([]byte(lit)) || strings.ContainsAny(lit, " \t\r\n\"[]{}tfn") {
			return // a number literal only
		}
		if exp := strings.IndexAny(lit, "eE"); exp >= 0 && len(strings.TrimLeft(strings.TrimLeft(lit[exp+1:], "+-"), "0")) > 4 {
			return // big.Rat would take too long: the point of floatWritesAs
		}
		v, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return
		}
		if got, want := floatWritesAs(v, lit), floatWritesAsByRat(v, lit); got != want {
			t.Fatalf("floatWritesAs(%v, %q) = %v, big.Rat says %v", v, lit, got, want)
		}
	})
}

// Numbers whose exponent is beyond float64's range stay literals (or a
// zero), decoded at the cost of any other number.
func TestTinyAndHugeExponents(t *testing.T) {
	body := []byte(`[1e-999999, -2.5E-99999999999, 0e-999999, 1e999999]`)
	v, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{json.Number("1e-999999"), json.Number("-2.5E-99999999999"), 0.0, json.Number("1e999999")}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Decode = %#v, want %#v", v, want)
	}
}
