package jsonx

import (
	"encoding/json"
	"reflect"
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
