package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkLimits, which says what is wrong with a body the scan refuses,
// counts at its limits exactly, skips strings (an empty one, one with an
// escaped quote) without counting what they hold, and stops at the first
// limit exceeded.
func TestCheckLimitsAtTheEdges(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1)
	tests := []struct {
		name, body string
		want       string // in the error; "": none
	}{
		{"MaxValues values, the last an object", `[[{}` + strings.Repeat(`,{}`, (MaxValues-4)/2), ""},
		{"MaxValues+1 values", `[[{}` + strings.Repeat(`,{}`, (MaxValues-4)/2) + `,`, "more than 200000 values"},
		{"MaxKeys keys", `{` + strings.Repeat(`"":0,`, MaxKeys-1) + `"":0`, ""},
		{"MaxKeys+1 keys", `{` + strings.Repeat(`"":0,`, MaxKeys) + `"":0`, "more than 100000 keys"},
		{"too deep after an empty string", `["",` + deep, "nested deeper than 64 levels"},
		{"too deep after an escaped quote", `["\"",` + deep, "nested deeper than 64 levels"},
		{"brackets after an escaped quote, in the string", `["\"` + deep + `"`, ""},
		{"brackets after an escaped backslash, out of the string", `["\\"` + deep, "nested deeper than 64 levels"},
	}
	for _, tc := range tests {
		err := checkLimits([]byte(tc.body))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Values skips a string left open at the end of the body.
func TestValuesOfAnUnterminatedString(t *testing.T) {
	for body, want := range map[string]int{`{"a":"abc`: 2, `["`: 2, `"`: 1, `[1,"a\"`: 3} {
		b := []byte(body)[:len(body):len(body)]
		if got := Values(b); got != want {
			t.Errorf("Values(%s) = %d, want %d", body, got, want)
		}
	}
}

// The general decoder keeps a literal float64 cannot write back as it is
// wherever it is in the body: at its end, after another number, after
// strings holding the bytes of numbers.
func TestDecodeGeneralKeepsLongNumbers(t *testing.T) {
	const long = "9007199254740993" // 2^53+1: sixteen digits, not a float64
	tests := []struct {
		body string
		want any
	}{
		{long, json.Number(long)},
		{"-" + long, json.Number("-" + long)},
		{"5", 5.0},
		{"-1.5", -1.5},
		{`[1,` + long + `]`, []any{1.0, json.Number(long)}},
		{`[1,"+",` + long + `]`, []any{1.0, "+", json.Number(long)}},
		{`[1,".",` + long + `]`, []any{1.0, ".", json.Number(long)}},
		{`[1,"e",` + long + `]`, []any{1.0, "e", json.Number(long)}},
		{`[1,"E",` + long + `]`, []any{1.0, "E", json.Number(long)}},
		{`[1,"\"",` + long + `]`, []any{1.0, `"`, json.Number(long)}},
		{`[-1,` + long + `]`, []any{-1.0, json.Number(long)}},
	}
	for _, tc := range tests {
		got, err := decodeGeneral([]byte(tc.body))
		if err != nil || !identical(got, tc.want) {
			t.Errorf("%s: %#v %v, want %#v", tc.body, got, err, tc.want)
		}
	}
}

// An exponent is read digit by digit, each of 0 to 9: a literal with an
// exponent that float64 writes back as the same number is a float64.
func TestNumberValueExponentDigits(t *testing.T) {
	for _, lit := range []string{"1e9", "1e10", "2e19", "1.5e-9", "1E+20", "9e90", "1e0", "1e-0", "3e-300"} {
		v, _ := numberValue([]byte(lit))
		if _, ok := v.(float64); !ok {
			t.Errorf("%s: %#v, want a float64", lit, v)
		}
	}
}
