package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// drop takes true or false, and nothing else.
func TestDropIsABoolean(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"true", true}, {"false", true}, {"yes", false}, {"[true]", false},
	} {
		fields := validRule // a rule that does not drop builds events
		if tc.value == "true" {
			fields = ""
		}
		text := "provider: shop\nmodule: m\naccepts: [nats]\nrules:\n  - when: true\n    drop: " + tc.value + fields + "\n"
		_, ds := Parse("f.yaml", []byte(text), Options{})
		if ok := len(ds) == 0; ok != tc.ok || !ok && (len(ds) != 1 || !strings.Contains(ds[0].Error(), "drop must be true or false")) {
			t.Errorf("drop: %s: %v", tc.value, ds)
		}
	}
}

// A data tree of two leaves or more, lists included, runs as one
// expression and gives what its leaves give one by one.
func TestWholeDataWithLists(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"two leaves", "      a: payload.a\n      b: payload.b\n"},
		{"a list", "      a: payload.a\n      l: [payload.b, payload.a, '\"x\"']\n"},
		{"lists of maps", "      l:\n        - {k: payload.a}\n        - {k: payload.b}\n"},
		{"keys that need quoting", "      \"a b\": payload.a\n      'q\"x': payload.b\n      \"c.d\": {\"e-f\": payload.a, \"\": payload.b}\n"},
		{"empty maps and lists", "      a: payload.a\n      m: {}\n      l: []\n      n: [[payload.b], {}]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "provider: shop\nmodule: m\naccepts: [nats]\nrules:\n  - when: true" + validRule + "\n    data:\n" + tc.data
			m, ds := Parse("f.yaml", []byte(text), Options{})
			if len(ds) > 0 {
				t.Fatal(ds)
			}
			r := m.Rules()[0]
			if r.data.whole == nil {
				t.Fatal("the data is evaluated leaf by leaf")
			}
			compareData(t, r, &env{Payload: map[string]any{"id": "o1", "a": "A", "b": 2.0}})
		})
	}
}

// A dataschema names a file under the schemas directory only when it is
// an http or https URL.
func TestSchemaRelSchemes(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"https://schemas.example.com/shop/v1.json", filepath.Join("schemas.example.com", "shop", "v1.json")},
		{"http://schemas.example.com/shop/v1.json", filepath.Join("schemas.example.com", "shop", "v1.json")},
		{"ftp://schemas.example.com/shop/v1.json", ""},
		{"urn:x:shop", ""},
	} {
		if got, err := schemaRel(tc.uri); err != nil || got != tc.want {
			t.Errorf("schemaRel(%q) = %q, %v; want %q", tc.uri, got, err, tc.want)
		}
	}
}

// A file URL's host is empty or localhost; any other is not a local file.
func TestLocalLoaderFileURLs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	if err := os.WriteFile(path, []byte(`{"type": "object"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := []string{mustAbs(dir)}
	l := localLoader{dir: dir, roots: &roots}
	slashed := filepath.ToSlash(mustAbs(path))
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"file://" + slashed, true},
		{"file://localhost" + slashed, true},
		{"file://elsewhere" + slashed, false},
	} {
		_, err := l.Load(tc.url)
		if (err == nil) != tc.ok || !tc.ok && !strings.Contains(err.Error(), "is not a local file URL") {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
}
