package transform

import "testing"

// dateTimeSure at its edges: the first day of a year and the last second
// of a day are sure, a fraction may be of zeros, and a fraction that ends
// the string (no zone) is left to the validator without reading past it.
func TestDateTimeSureAtTheEdges(t *testing.T) {
	lib := libraryFormat(t, "date-time")
	for _, tc := range []struct {
		value string
		sure  bool
	}{
		{"2026-12-06T23:59:59Z", true},
		{"2026-01-01T00:00:00Z", true},
		{"2026-12-31T23:59:59.999+23:59", true},
		{"2026-12-06T13:39:05.0Z", true},
		{"2026-12-06T13:39:05.00-00:00", true},
		{"2026-12-06T13:39:05.5", false},
		{"2026-12-06T13:39:05.", false},
	} {
		if got := dateTimeSure(tc.value); got != tc.sure {
			t.Errorf("%q: sure = %v, want %v", tc.value, got, tc.sure)
		}
		if err := lib(tc.value); tc.sure && err != nil {
			t.Errorf("%q: sure, and the validator says %v", tc.value, err)
		}
	}
}
