package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RunFixture fails on an expected file that differs, and leaves it as it
// is; with update it rewrites it, after which the fixture passes. A payload
// whose name does not end in .json is read as JSON when the mapping names no
// content type.
func TestRunFixtureComparesAndUpdates(t *testing.T) {
	dir := t.TempDir()
	payload := filepath.Join(dir, "payload.txt")
	expect := filepath.Join(dir, "expect.json")
	if err := os.WriteFile(payload, []byte(`{"id": "a1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, problems := Parse("fix.yaml", []byte(`provider: fix
module: m
accepts: [webhook]
webhook: {signature: {scheme: none}}
idempotency_key: payload.id
rules:
  - name: r
    when: 'true'
    entity_type: thing
    event_name: made
    entity_id: payload.id
    source: '"https://fix.example"'
    data:
      id: payload.id
`), Options{})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	r := m.Rules()[0]
	f := Fixture{Payload: payload, Expect: expect}

	// No expected file: an error, unless updating, which writes it.
	if _, err := m.RunFixture(r, f, false); err == nil || !strings.Contains(err.Error(), "expect") {
		t.Fatalf("without an expected file: %v, want an error naming it", err)
	}
	if updated, err := m.RunFixture(r, f, true); err != nil || !updated {
		t.Fatalf("update without an expected file: updated %v, %v", updated, err)
	}
	written, err := os.ReadFile(expect)
	if err != nil || !strings.Contains(string(written), `"id": "a1"`) {
		t.Fatalf("the written expected file: %s, %v", written, err)
	}
	if updated, err := m.RunFixture(r, f, false); err != nil || updated {
		t.Fatalf("the fixture just written: updated %v, %v; want it to pass as it is", updated, err)
	}

	// An expected file that differs: an error, the file untouched.
	wrong := strings.Replace(string(written), `"id": "a1"`, `"id": "b2"`, 1)
	if err := os.WriteFile(expect, []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	if updated, err := m.RunFixture(r, f, false); err == nil || updated || !strings.Contains(err.Error(), "output differs") {
		t.Fatalf("a differing expected file: updated %v, %v; want the difference reported", updated, err)
	}
	if after, _ := os.ReadFile(expect); string(after) != wrong {
		t.Fatalf("the differing expected file was changed without update:\n%s", after)
	}
	if updated, err := m.RunFixture(r, f, true); err != nil || !updated {
		t.Fatalf("update of a differing expected file: updated %v, %v", updated, err)
	}
	if after, _ := os.ReadFile(expect); string(after) != string(written) {
		t.Fatalf("the rewritten expected file:\n%s\nwant:\n%s", after, written)
	}
}

// An expected value matches an actual one of the same shape: maps with
// the same keys, lists of the same length, "re:" strings by pattern.
func TestExpectedOutputMatches(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got any
		match     bool
	}{
		{"equal maps", map[string]any{"a": 1.0}, map[string]any{"a": 1.0}, true},
		{"a key more", map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 2.0}, false},
		{"a key less", map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"a": 1.0}, false},
		{"another key", map[string]any{"a": 1.0}, map[string]any{"b": 1.0}, false},
		{"a map for a list", map[string]any{}, []any{}, false},
		{"equal lists", []any{1.0, "x"}, []any{1.0, "x"}, true},
		{"an element more", []any{1.0}, []any{1.0, 2.0}, false},
		{"an element less", []any{1.0, 2.0}, []any{1.0}, false},
		{"a list for a map", []any{}, map[string]any{}, false},
		{"pattern", "re:[0-9a-f-]{36}", "0196346e-9e5a-708f-8205-e54411ba3200", true},
		{"pattern anchored", "re:[0-9]+", "12a", false},
		{"pattern of a number", "re:1", 1.0, false},
		{"nested", map[string]any{"l": []any{"re:a+"}}, map[string]any{"l": []any{"aaa"}}, true},
		{"nested mismatch", map[string]any{"l": []any{"re:a+"}}, map[string]any{"l": []any{"b"}}, false},
	} {
		if got := matches(tc.want, tc.got); got != tc.match {
			t.Errorf("%s: matches(%v, %v) = %v, want %v", tc.name, tc.want, tc.got, got, tc.match)
		}
	}
	if diff, err := compareOutput([]byte(`[{"a": 1}]`), []byte(`[{"a": 2}]`)); err != nil || diff == "" {
		t.Errorf("compareOutput of different events: %q, %v; want a diff", diff, err)
	}
	if _, err := compareOutput([]byte(`not json`), []byte(`[]`)); err == nil {
		t.Error("compareOutput of an expected file that is not JSON: no error")
	}
}
