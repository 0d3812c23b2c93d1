package signature

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestBlockWarningsNone: a block with scheme none and a secret is warned
// at the secret (nothing reads it), and a none block that serves webhooks
// at its scheme (nothing is verified); other schemes, and a none block
// that serves no webhook and names no secret, give nothing.
func TestBlockWarningsNone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		block  string
		serves bool
		want   []string
	}{
		{"none serving webhooks", "scheme: none", true,
			[]string{"1:9: none-unverified: scheme none verifies nothing"}},
		{"none serving no webhook", "scheme: none", false, nil},
		{"none with a secret", "scheme: none\nsecret: ${X}", true, []string{
			"1:9: none-unverified: scheme none verifies nothing",
			"2:1: none-with-secret: webhook.signature.secret is not used: scheme none verifies nothing"}},
		{"none with secrets, not serving", "secrets: ['${A}', '${B}']\nscheme: none", false,
			[]string{"1:1: none-with-secret: webhook.signature.secrets is not used: scheme none verifies nothing"}},
		{"hmac with a secret", "scheme: hmac\nsecret: ${X}\nheader: X-Sig", true, nil},
		{"no scheme", "secret: ${X}", true, nil},
		{"not a mapping", "[none]", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.block), &doc); err != nil {
				t.Fatal(err)
			}
			ws := BlockWarnings(doc.Content[0], tc.serves)
			if len(ws) != len(tc.want) {
				t.Fatalf("got %d warning(s) %+v, want %d %q", len(ws), ws, len(tc.want), tc.want)
			}
			for i, w := range ws {
				got := fmt.Sprintf("%d:%d: %s: %s", w.Line, w.Column, w.Slug, w.Msg)
				if !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("warning %d = %q, want it to start with %q", i, got, tc.want[i])
				}
			}
		})
	}
	if BlockWarnings(nil, true) != nil {
		t.Error("a nil block gives warnings")
	}
}
