package transform

import (
	"strings"
	"testing"
)

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
