package transform

import (
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// libraryFormat is the validator's own function for the format name.
func libraryFormat(t testing.TB, name string) func(any) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("f.json", map[string]any{"format": name}); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("f.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format == nil || s.Format.Validate == nil {
		t.Fatalf("format %q has no function", name)
	}
	return s.Format.Validate
}

// The checks say "valid" exactly where the validator does, for the forms
// the bridge writes, and leave the rest (false) to it.
func TestFormatSure(t *testing.T) {
	for _, tc := range []struct {
		format, value string
		sure          bool
	}{
		{"uuid", "0190f0c4-8a4b-7c3d-9e2f-1a2b3c4d5e6f", true},
		{"uuid", "0190F0C4-8A4B-7C3D-9E2F-1A2B3C4D5E6F", true},
		{"uuid", "0190f0c4-8a4b-7c3d-9e2f-1a2b3c4d5e6", false},
		{"uuid", "0190f0c4-8a4b-7c3d-9e2f-1a2b3c4d5e6g", false},
		{"uuid", "0190f0c48a4b-7c3d-9e2f-1a2b3c4d5e6f0", false},
		{"uuid", "", false},
		{"date-time", "2026-12-06T13:39:05Z", true},
		{"date-time", "2026-12-06t13:39:05z", true},
		{"date-time", "2026-12-06T13:39:05.123456789Z", true},
		{"date-time", "2026-12-06T13:39:05-03:00", true},
		{"date-time", "2026-12-06T13:39:05.5+23:59", true},
		{"date-time", "2024-02-29T00:00:00Z", true},
		{"date-time", "2000-02-29T00:00:00Z", true},
		{"date-time", "1900-02-29T00:00:00Z", false},
		{"date-time", "2026-02-29T00:00:00Z", false},
		{"date-time", "2026-04-31T00:00:00Z", false},
		{"date-time", "2026-13-01T00:00:00Z", false},
		{"date-time", "2026-12-00T00:00:00Z", false},
		{"date-time", "2026-12-06T24:00:00Z", false},
		{"date-time", "2026-12-06T23:60:00Z", false},
		{"date-time", "2026-12-31T23:59:60Z", false}, // a leap second: the validator decides
		{"date-time", "2026-12-06T13:39:05", false},
		{"date-time", "2026-12-06T13:39:05.Z", false},
		{"date-time", "2026-12-06T13:39:05+24:00", false},
		{"date-time", "2026-12-06T13:39:05+0300", false},
		{"date-time", "2026-12-06 13:39:05Z", false},
		{"date-time", "+026-12-06T13:39:05Z", false},
	} {
		sure := formatSure(tc.format)
		if got := sure(tc.value); got != tc.sure {
			t.Errorf("%s %q: sure = %v, want %v", tc.format, tc.value, got, tc.sure)
		}
		if err := libraryFormat(t, tc.format)(tc.value); tc.sure && err != nil {
			t.Errorf("%s %q: sure, and the validator says %v", tc.format, tc.value, err)
		}
	}
	if formatSure("uri") != nil || formatSure("email") != nil {
		t.Error("a format without a check of its own has one")
	}
	if uuidSure(1.0) || dateTimeSure(nil) {
		t.Error("a value that is not a string is sure")
	}
}

// Whatever a check says is valid, the validator's function accepts.
func FuzzFormatSure(f *testing.F) {
	for _, s := range []string{"2026-12-06T13:39:05Z", "2024-02-29T23:59:59.1+00:00", "0190f0c4-8a4b-7c3d-9e2f-1a2b3c4d5e6f", "2026-12-31T23:59:60Z"} {
		f.Add(s)
	}
	lib := map[string]func(any) error{"date-time": libraryFormat(f, "date-time"), "uuid": libraryFormat(f, "uuid")}
	f.Fuzz(func(t *testing.T, s string) {
		for name, validate := range lib {
			if formatSure(name)(s) {
				if err := validate(s); err != nil {
					t.Fatalf("%s %q: sure, and the validator says %v", name, s, err)
				}
			}
		}
	})
}
