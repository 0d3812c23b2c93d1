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
