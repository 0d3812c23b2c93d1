package transform

import (
	"slices"
	"testing"
)

// TestAcceptsDefault: a file serves the ingestors whose sections it has
// (webhook: webhooks) unless it lists them; nats and events only when
// listed, since neither checks a provider's signature.
func TestAcceptsDefault(t *testing.T) {
	tests := []struct {
		name, head string
		want       []string
	}{
		{"webhook block only", "webhook: {signature: {scheme: none}}\n", []string{IngestWebhook}},
		{"listed nats", "accepts: [nats]\n", []string{IngestNATS}},
		{"listed events", "accepts: [events]\n", []string{IngestEvents}},
		{"listed all", "accepts: [webhook, nats, events]\nwebhook: {signature: {scheme: none}}\n", []string{IngestWebhook, IngestNATS, IngestEvents}},
		{"webhook block and listed nats only", "accepts: [nats]\nwebhook: {signature: {scheme: none}}\n", []string{IngestNATS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ps := Parse("f.yaml", []byte("provider: shop\nmodule: m\n"+tc.head+"rules:\n  - when: true"+validRule), Options{})
			if len(ps) > 0 {
				t.Fatalf("problems: %v", ps)
			}
			var got []string
			for _, k := range []string{IngestWebhook, IngestNATS, IngestEvents} {
				if m.Accepts(k) {
					got = append(got, k)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("accepts %v, want %v", got, tc.want)
			}
		})
	}
}
