package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // a substring of the error; "" for none
	}{
		{"1048576", 1048576, ""},
		{"0", 0, ""},
		{"1MiB", 1 << 20, ""},
		{"512KiB", 512 << 10, ""},
		{"2MB", 2_000_000, ""},
		{"10GiB", 10 << 30, ""},
		{"3TB", 3e12, ""},
		{"1TiB", 1 << 40, ""},
		{"7B", 7, ""},
		{"1mib", 1 << 20, ""},
		{"1kb", 1000, ""},
		{" 64 KiB ", 64 << 10, ""},
		{"8388607TiB", 8388607 << 40, ""},
		{"", 0, "want a whole number"},
		{"MiB", 0, "want a whole number"},
		{"lots", 0, "want a whole number"},
		{"-1", 0, "must not be negative"},
		{"-5MiB", 0, "must not be negative"},
		{"+5", 0, "want a whole number"},
		{"1.5GiB", 0, "fraction"},
		{"10 Mbit", 0, `unknown unit "Mbit"`},
		{"1M", 0, `unknown unit "M"`},
		{"1 Mi B", 0, "unknown unit"},
		{"8388608TiB", 0, "too large"},
		{"99999999999999999999", 0, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("parseSize(%q) = %v", tc.in, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("parseSize(%q) = %d, %v; want error with %q", tc.in, got, err, tc.wantErr)
			case got != tc.want:
				t.Errorf("parseSize(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{-1, "-1"},
		{0, "0"},
		{1000, "1000"},
		{1 << 10, "1KiB"},
		{1 << 20, "1MiB"},
		{3 << 29, "1536MiB"},
		{5 << 40, "5TiB"},
		{2_000_000, "2000000"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := formatSize(tc.in); got != tc.want {
				t.Errorf("formatSize(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzParseSize checks that parseSize never panics, never returns a
// negative size, and reads formatSize's output back to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1048576", "1MiB", "512KiB", "2MB", "0", "-1", "1.5GiB", "", " 3 tb", "8388608TiB", "1\x00KiB", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d, negative", s, n)
		}
		back, err := parseSize(formatSize(n))
		if err != nil || back != n {
			t.Fatalf("parseSize(formatSize(%d)) = %d, %v", n, back, err)
		}
	})
}

func TestParseMaxBytes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"-1", -1, false},
		{" -1 ", -1, false},
		{"10GiB", 10 << 30, false},
		{"0", 0, false}, // parses; Validate refuses it
		{"-2", 0, true},
		{"-1MiB", 0, true},
		{"unlimited", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseMaxBytes(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseMaxBytes(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
