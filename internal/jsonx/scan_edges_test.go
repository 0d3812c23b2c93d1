package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
)

// A body cut anywhere is refused with the general decoder's error, never
// read past its end: each prefix is given with no capacity beyond its
// length, so that a read past the end panics rather than finding the
// rest of the body there.
func TestScanCutBodies(t *testing.T) {
	for _, whole := range []string{
		`{"x":[true,{"y":"z"},null,1.5,false,[]],"w":{"v":{}}}`,
		` [ "a" , { "b" : null } ] `,
		`["a\nb","\u00e9"]`,
		`[1.5e+10,2E-3,4e5]`,
		`true`,
	} {
		for n := range len(whole) {
			body := []byte(whole[:n])[:n:n]
			if json.Valid(body) { // the whole body but its trailing space
				continue
			}
			for _, r := range []*Paths{nil, pathsOf([]string{"x", "w.v"})} {
				_, err := DecodePaths(body, r)
				_, werr := decodeGeneral(body)
				if err == nil || err.Error() != werr.Error() {
					t.Errorf("%q: %v, want the general decoder's %v", body, err, werr)
				}
			}
		}
	}
}

// The scan decodes, itself, what is at its limits and what its counts
// step through: a literal that ends the body, exactly MaxValues values
// (the last one an object, or a list's element), exactly MaxKeys keys, and
// objects and lists closed one after the other (each closing what it
// opened). The values are the general decoder's.
func TestScanTakesAtTheLimits(t *testing.T) {
	keys := `{` + strings.Repeat(`"":0,`, MaxKeys-1) + `"":0}`
	tests := []struct{ name, body string }{
		{"a literal that ends the body", `true`},
		{"a literal in a list", `[false]`},
		{"MaxValues values, the last an object", `[[{}` + strings.Repeat(`,{}`, (MaxValues-4)/2) + `]]`},
		{"MaxValues values, the last an element", `[0` + strings.Repeat(`,0`, MaxValues-2) + `]`},
		{"MaxValues values, the last an object's comma", `{"a":[0` + strings.Repeat(`,0`, MaxValues-4) + `],"b":0}`},
		{"MaxKeys keys", keys},
		{"empty objects one after the other", `[` + strings.Repeat(`{},`, 2*MaxDepth) + `{}]`},
		{"objects one after the other", `[` + strings.Repeat(`{"a":1},`, 2*MaxDepth) + `{"a":1}]`},
		{"lists one after the other", `[` + strings.Repeat(`[1],`, 2*MaxDepth) + `[1]]`},
		{"empty lists one after the other", `[` + strings.Repeat(`[],`, 2*MaxDepth) + `[]]`},
		{"exponents of each sign", `[1e-5,2E5,3e+5,4e55]`},
		{"escapes of each kind of hex digit", `["\u0009","\u00a9","\u00A9","\uFFFd","\u00ff"]`},
	}
	for _, tc := range tests {
		body := []byte(tc.body)
		got, ok := scanPath(body, nil)
		if !ok {
			t.Errorf("%s: the scan leaves it to the general decoder", tc.name)
			continue
		}
		want, err := decodeGeneral(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !identical(got, want) {
			t.Errorf("%s: the scan gives %.80v, want %.80v", tc.name, got, want)
		}
	}
}

// The commas between an object's members count as values as those of a
// list do: a body past MaxValues by its object's members is refused.
func TestScanCountsObjectCommas(t *testing.T) {
	// 1 (the body) + 1 ({) + MaxKeys-1 (commas) + 1 ([) + MaxValues-MaxKeys
	// (the list's commas) = MaxValues+1.
	list := `[0` + strings.Repeat(`,0`, MaxValues-MaxKeys) + `]`
	body := []byte(`{"a":` + list + strings.Repeat(`,"a":0`, MaxKeys-1) + `}`)
	if _, err := Decode(body); err == nil || !strings.Contains(err.Error(), "more than 200000 values") {
		t.Errorf("Decode: %v, want more than 200000 values", err)
	}
}

// Only JSON's four whitespace bytes are skipped, eight at a time or one
// at a time: any other byte after a space ends the run.
func TestSkipSpaceStopsAtEveryOtherByte(t *testing.T) {
	for c := range 256 {
		for _, space := range []string{" ", "\n", "         "} {
			b := []byte("[" + space + string(rune(0)) + "1, 2, 3, 4, 5]")
			at := 1 + len(space)
			b[at] = byte(c)
			want := at
			if strings.IndexByte(" \n\t\r", byte(c)) >= 0 {
				want = at + 1
			}
			if got := skipSpace(b, 1); got != want {
				t.Errorf("%q: skipSpace %d, want %d", b, got, want)
			}
		}
	}
}

// A number that ends the body is read to its last digit and no further
// (the body has no capacity beyond it).
func TestScanNumbersAtTheEnd(t *testing.T) {
	for lit, want := range map[string]float64{"12": 12, "1.5": 1.5, "1e5": 1e5, "-0.25E-3": -0.25e-3, "7E+2": 700} {
		body := []byte(lit)[:len(lit):len(lit)]
		got, ok := scanPath(body, nil)
		if !ok || got != want {
			t.Errorf("%s: the scan gives %#v %v, want %v", lit, got, ok, want)
		}
	}
}
