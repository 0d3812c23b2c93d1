package transform

import (
	"math/big"
	"strings"
	"testing"
)

// minorUnitsByRat is minorUnits' reading of a string amount as it was,
// with big.Rat: the reference for amounts whose exponent is small.
func minorUnitsByRat(lit string, exp int) (int, bool) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(lit))
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	if !r.IsInt() {
		return 0, false
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > 1<<53 || n.Int64() < -(1<<53) {
		return 0, false
	}
	return int(n.Int64()), true
}

// Amounts are read exactly, as big.Rat read them, and an exponent costs
// nothing (attack of 2026-12-06: "1e99999999" made big.Rat compute
// 10^99999999 for one payload field).
func TestMinorUnitsDecimals(t *testing.T) {
	for _, tc := range []struct {
		amount string
		want   int
		err    string // in the error; "" for none
	}{
		{"110.00", 11000, ""},
		{" 110.5 ", 11050, ""},
		{"-0.01", -1, ""},
		{"+1", 100, ""},
		{".5", 50, ""},
		{"5.", 500, ""},
		{"0", 0, ""},
		{"-0.000", 0, ""},
		{"1.005", 0, "more decimals"},
		{"1e2", 10000, ""},
		{"1.5E-1", 15, ""},
		{"12345e-4", 0, "more decimals"},
		{"1e-999999", 0, "more decimals"},
		{"1e-99999999999999", 0, "more decimals"},
		{"1e999999", 0, "out of range"},
		{"1E99999999999999", 0, "out of range"},
		{"0e99999999999999", 0, ""},
		{"90071992547409.92", 9007199254740992, ""},
		{"90071992547409.93", 0, "out of range"},
		{"1/2", 50, ""},
		{"1/3", 0, "more decimals"},
		{"0x10", 1600, ""},
		{"0x1p99999999", 0, "not a decimal"},
		{"0p0", 0, "not a decimal"},
		{"0XE", 1400, ""},
		{"0B0E0", 0, "not a decimal"},
		{"1e", 0, "not a decimal"},
		{"abc", 0, "not a decimal"},
		{"", 0, "not a decimal"},
		{"1.2.3", 0, "not a decimal"},
		{"--1", 0, "not a decimal"},
	} {
		got, err := minorUnits(tc.amount, "BRL")
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("minorUnits(%q, BRL) = %v, %v; want %d", tc.amount, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("minorUnits(%q, BRL) = %v, %v; want an error with %q", tc.amount, got, err, tc.err)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = decimalMinorUnits("1e-999999", 2) }); n != 0 {
		t.Errorf("decimalMinorUnits allocates %v times: a big number is computed", n)
	}
}

func FuzzMinorUnits(f *testing.F) {
	for _, s := range []string{"110.00", "-0.5", "1e2", ".5", "5.", "1/2", "0x1f", "12.345", "+7E-2", "1_0"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, amount string, exp int) {
		exp = (exp%4 + 4) % 4 // the currencies' exponents: 0 to 3
		if i := strings.IndexAny(amount, "eEpP"); i >= 0 && len(strings.TrimLeft(amount[i+1:], "+-0")) > 3 {
			return // big.Rat would take too long: the point of decimalMinorUnits
		}
		if len(amount) > 64 || strings.ContainsAny(amount, "pP") ||
			strings.ContainsAny(amount, "eE") && strings.ContainsAny(amount, "xXbBoO/_") {
			return // refused on purpose: a binary exponent ("1p-2"), an exponent beside a base prefix or a fraction
		}
		got, err := decimalMinorUnits(strings.TrimSpace(amount), exp)
		want, ok := minorUnitsByRat(amount, exp)
		if (err == nil) != ok || ok && got != want {
			t.Fatalf("decimalMinorUnits(%q, %d) = %d, %v; big.Rat says %d, %v", amount, exp, got, err, want, ok)
		}
	})
}
