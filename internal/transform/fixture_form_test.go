package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A fixture payload not named .json is read as the last content type the
// mapping takes: form fields for a form-only provider.
func TestRunFixtureReadsTheContentType(t *testing.T) {
	dir := t.TempDir()
	payload, expect := filepath.Join(dir, "payload.txt"), filepath.Join(dir, "expect.json")
	if err := os.WriteFile(payload, []byte(`id=a1`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, types := range []string{"[application/x-www-form-urlencoded]", "[application/json, application/x-www-form-urlencoded]"} {
		m, problems := Parse("form.yaml", []byte(`provider: form
module: m
accepts: [webhook]
webhook: {signature: {scheme: none}, content_types: `+types+`}
idempotency_key: payload.id
rules:
  - name: r
    when: 'true'
    entity_type: thing
    event_name: made
    entity_id: payload.id
    source: '"https://form.example"'
    data:
      id: payload.id
`), Options{})
		if len(problems) > 0 {
			t.Fatal((&LoadError{problems}).Error())
		}
		os.Remove(expect)
		if updated, err := m.RunFixture(m.Rules()[0], Fixture{Payload: payload, Expect: expect}, true); err != nil || !updated {
			t.Fatalf("%s: a form payload: updated %v, %v", types, updated, err)
		}
	}
}

// A mapping that names no content type (`content_types: []` loads, and
// then refuses every webhook) fails its fixtures saying so, without a
// panic.
func TestRunFixtureWithoutContentTypes(t *testing.T) {
	dir := t.TempDir()
	payload, expect := filepath.Join(dir, "payload.txt"), filepath.Join(dir, "expect.json")
	if err := os.WriteFile(payload, []byte(`{"id": "a1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, problems := Parse("none.yaml", []byte(`provider: none
module: m
accepts: [webhook]
webhook: {signature: {scheme: none}, content_types: []}
idempotency_key: payload.id
rules:
  - name: r
    when: 'true'
    entity_type: thing
    event_name: made
    entity_id: payload.id
    source: '"https://none.example"'
`), Options{})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	if _, err := m.RunFixture(m.Rules()[0], Fixture{Payload: payload, Expect: expect}, true); err == nil || !strings.Contains(err.Error(), "unsupported content type") {
		t.Fatalf("RunFixture = %v, want the content type refused", err)
	}
}
