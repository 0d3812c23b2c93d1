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

// A mapping that names no content type would refuse every webhook: it is a
// load error naming the key, not a provider that answers 415 to all.
func TestEmptyContentTypesIsALoadError(t *testing.T) {
	_, problems := Parse("none.yaml", []byte(`provider: none
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
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "webhook.content_types is empty") || problems[0].Line != 4 {
		t.Fatalf("problems %v, want one on line 4 naming webhook.content_types", (&LoadError{problems}).Error())
	}
}
