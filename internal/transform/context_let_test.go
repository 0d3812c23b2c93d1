package transform

import (
	"strings"
	"testing"
)

// A file-level let that reads an envelope's metadata is fine when every
// rule that builds events has its own idempotency_key, and refused when one
// has none.
func TestEnvelopeContextInALet(t *testing.T) {
	const rule = `  - name: %s
    when: "true"
    entity_type: thing
    event_name: made
    entity_id: payload.id
%s    source: '"https://x/" + tenant'
`
	keyed := "    idempotency_key: tenant + payload.id\n"
	head := "provider: p\nmodule: m\naccepts: [events]\nlet:\n  tenant: envelope.metadata.tenant\nrules:\n"
	ruleOf := func(name, key string) string {
		return strings.Replace(strings.Replace(rule, "%s", name, 1), "%s", key, 1)
	}
	for _, tc := range []struct {
		name, rules, want string
	}{
		{"every rule keyed", ruleOf("a", keyed) + ruleOf("b", keyed), ""},
		{"one rule without a key", ruleOf("a", keyed) + ruleOf("b", ""), "p.yaml:5:11: let.tenant reads envelope.metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("p.yaml", []byte(head+tc.rules), Options{})
			var msgs []string
			for _, d := range diags {
				msgs = append(msgs, d.Error())
			}
			got := strings.Join(msgs, "\n")
			if tc.want == "" && got != "" || tc.want != "" && (len(diags) != 1 || !strings.Contains(got, tc.want)) {
				t.Errorf("diagnostics %q, want %q", got, tc.want)
			}
		})
	}
}
