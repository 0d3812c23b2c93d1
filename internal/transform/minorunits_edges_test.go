package transform

import (
	"strings"
	"testing"
)

// minorUnits at the edges of its two readings: decimals that end in
// zeros the currency does without, an exponent of six digits offset by
// as many digits, a decimal too long for big.Rat's reading, and the other
// forms (a fraction, a hexadecimal number) at their length and range
// bounds.
func TestMinorUnitsAtTheEdges(t *testing.T) {
	for _, tc := range []struct {
		name, amount string
		want         int
		err          string // in the error; "" for none
	}{
		{"a last decimal the currency has not, a zero", "1.230", 123, ""},
		{"a six-digit exponent offset by leading zeros", "0." + strings.Repeat("0", 99999) + "1e100000", 100, ""},
		{"a six-digit negative exponent offset by digits", "1" + strings.Repeat("0", 100000) + "e-100000", 100, ""},
		{"a decimal longer than 64 characters", "1." + strings.Repeat("0", 70), 100, ""},
		{"a hexadecimal number of 64 characters", "0x" + strings.Repeat("0", 60) + "10", 1600, ""},
		{"a hexadecimal number of 65 characters", "0x" + strings.Repeat("0", 61) + "10", 0, "not a decimal"},
		{"a fraction at the top of the range", "9007199254740992/100", 1 << 53, ""},
		{"a fraction at the bottom of the range", "-9007199254740992/100", -(1 << 53), ""},
		{"a fraction past the range", "9007199254740993/100", 0, "out of range"},
		{"two signs before a zero", "+-0", 0, "not a decimal"},
		{"two signs before a digit", "--5", 0, "not a decimal"},
	} {
		got, err := minorUnits(tc.amount, "BRL")
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: minorUnits = %v, %v; want %d", tc.name, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: minorUnits = %v, %v; want an error with %q", tc.name, got, err, tc.err)
		}
	}
}
