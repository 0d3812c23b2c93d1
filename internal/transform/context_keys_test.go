package transform

import (
	"fmt"
	"strings"
	"testing"
)

// TestEnvelopeContextNeedsAKey: a file that serves the events protocol and
// reads an envelope's metadata or identity must say what names a call, or
// two calls differing only there would be one (the second lost as a
// duplicate).
func TestEnvelopeContextNeedsAKey(t *testing.T) {
	const head = "provider: p\nmodule: m\naccepts: [events]\n"
	const rule = `rules:
  - name: r
    when: "true"
    entity_type: thing
    event_name: made
    entity_id: payload.id
%s    source: '"https://x/" + %s'
    data:
      n: payload.n
`
	for _, tc := range []struct {
		name, file, want string
	}{
		{"metadata without a key", head + fmt.Sprintf(rule, "", "envelope.metadata.tenant"), `rule "r": source reads envelope.metadata`},
		{"identity, optional chaining", head + fmt.Sprintf(rule, "", "envelope?.identity.terminal"), "reads envelope.identity"},
		{"index form", head + fmt.Sprintf(rule, "", `envelope["metadata"].tenant`), "reads envelope.metadata"},
		{"the rule's key", head + fmt.Sprintf(rule, "    idempotency_key: envelope.metadata.tenant + payload.id\n", "envelope.metadata.tenant"), ""},
		{"the file's key", head + "idempotency_key: payload.id\n" + fmt.Sprintf(rule, "", "envelope.metadata.tenant"), ""},
		{"the payload only", head + fmt.Sprintf(rule, "", "payload.id"), ""},
		{"a let that reads it", head + "let:\n  tenant: envelope.metadata.tenant\n" + fmt.Sprintf(rule, "", "tenant"), "let"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("p.yaml", []byte(tc.file), Options{})
			var msgs []string
			for _, d := range diags {
				msgs = append(msgs, d.Error())
			}
			got := strings.Join(msgs, "\n")
			if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, "set idempotency_key")) {
				t.Errorf("diagnostics %q, want %q", got, tc.want)
			}
		})
	}
}
