package jsonx

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// MarshalSorted writes what Marshal writes, whether the keys it is given
// are the map's (sorted) or not.
func TestMarshalSorted(t *testing.T) {
	m := map[string]any{"b": 1.0, "a": "x", "c": map[string]any{"z": true, "y": nil}, "d": []any{1.0, "2"},
		"e": json.Number("12345678901234567890"), "é": "ü"}
	sorted := slices.Sorted(maps.Keys(m))
	for _, tc := range []struct {
		name string
		m    map[string]any
		keys []string
	}{
		{"its keys", m, sorted},
		{"no keys", m, nil},
		{"one key too many", m, append(slices.Clone(sorted), "zz")},
		{"another key", m, append(slices.Clone(sorted[:len(sorted)-1]), "zz")},
		{"a value Marshal writes by reflection", map[string]any{"a": struct{ X int }{1}}, []string{"a"}},
		{"empty", map[string]any{}, nil},
	} {
		want, wn, werr := Marshal(tc.m)
		got, gn, gerr := MarshalSorted(tc.m, tc.keys)
		if !bytes.Equal(got, want) || gn != wn || (gerr == nil) != (werr == nil) {
			t.Errorf("%s: MarshalSorted = %s, %v, %v; Marshal = %s, %v, %v", tc.name, got, gn, gerr, want, wn, werr)
		}
	}
}

func FuzzMarshalSorted(f *testing.F) {
	f.Add([]byte(`{"b":1,"a":"x","c":{"z":true},"d":[1,"2"],"e":12345678901234567890}`), "a")
	f.Fuzz(func(t *testing.T, body []byte, extra string) {
		v, err := Decode(body)
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			return
		}
		want, _, _ := Marshal(m)
		for _, keys := range [][]string{slices.Sorted(maps.Keys(m)), append(slices.Sorted(maps.Keys(m)), extra)} {
			if got, _, _ := MarshalSorted(m, keys); !bytes.Equal(got, want) {
				t.Fatalf("MarshalSorted(%s, %q) = %s, Marshal %s", body, keys, got, want)
			}
		}
	})
}
