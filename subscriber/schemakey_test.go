package subscriber

import "testing"

// TestSchemaKeySpellings: one dataschema however its host is spelt names
// one local schema, so a spelling cannot skip validation.
func TestSchemaKeySpellings(t *testing.T) {
	want := "schemas.test/stripe/charge/v1.json"
	for _, ds := range []string{
		"https://schemas.test/stripe/charge/v1.json",
		"https://SCHEMAS.TEST/stripe/charge/v1.json",
		"https://schemas.test:443/stripe/charge/v1.json",
		"https://schemas.test./stripe/charge/v1.json",
		"http://schemas.test:80/stripe/charge/v1.json",
		"https://schemas.test/stripe/x/../charge/v1.json",
	} {
		if got := schemaKey(ds); got != want {
			t.Errorf("schemaKey(%q) = %q, want %q", ds, got, want)
		}
	}
	if got := schemaKey("https://schemas.test:8443/a.json"); got != "schemas.test:8443/a.json" {
		t.Errorf("another port: %q", got)
	}
	for _, ds := range []string{"urn:x", "file:///etc/passwd", ""} {
		if got := schemaKey(ds); got != "" {
			t.Errorf("schemaKey(%q) = %q, want none", ds, got)
		}
	}
}
