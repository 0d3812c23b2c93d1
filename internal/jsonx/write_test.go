package jsonx

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// Marshal writes what encoding/json writes (without HTML escaping), byte
// for byte: events must not change when the encoder does.
func TestMarshalMatchesEncodingJSON(t *testing.T) {
	tree := map[string]any{
		"z": 1.5, "a": []any{1e21, 1e-7, 0.1, -0.0, 12345678912345.0, int(7), int64(-9)},
		"html": "<a href='x'>&</a>", "uni": "é\u2028\u2029\x01", "nested": map[string]any{"b": nil, "a": true},
		"empty": map[string]any{}, "list": []any{},
	}
	got, _, err := Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(buf.String(), "\n"); string(got) != want {
		t.Errorf("Marshal:\n%s\nencoding/json:\n%s", got, want)
	}
}

// FuzzMarshalMatchesEncodingJSON: for any strings and numbers, Marshal
// writes what encoding/json writes without HTML escaping, or both refuse.
func FuzzMarshalMatchesEncodingJSON(f *testing.F) {
	f.Add("key", "<a href='x'>&</a>", 1.5, int64(-9), true)
	f.Add("\u2028", "é\u2029\x01\x7f\b\f\n\r\t\"\\", 1e21, int64(0), false)
	f.Add("\xff", "bad \xc3\x28 utf8", 1e-7, int64(1)<<62, true)
	f.Add("", "", -0.0, int64(-1), false)
	f.Add("z", "\x00", 12345678912345.0, int64(7), true)
	f.Fuzz(func(t *testing.T, k, s string, x float64, n int64, b bool) {
		tree := map[string]any{
			k:   []any{s, x, n, int(n), b, nil, []any(nil), map[string]any(nil), json.Number(strconv.FormatInt(n, 10) + ".12345678901234567")},
			s:   map[string]any{"b": b, k: s, "empty": map[string]any{}, "list": []any{}},
			"x": x,
		}
		got, _, err := Marshal(tree)
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		werr := enc.Encode(tree)
		if (err != nil) != (werr != nil) {
			t.Fatalf("Marshal error %v, encoding/json error %v", err, werr)
		}
		if werr != nil {
			return
		}
		if want := strings.TrimSuffix(buf.String(), "\n"); string(got) != want {
			t.Fatalf("Marshal:\n%s\nencoding/json:\n%s", got, want)
		}
	})
}
