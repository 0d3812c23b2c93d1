package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/idem"
)

// Without an idempotency_key, a delivery is named by the signature
// scheme's delivery header when the request has one, else by the door's
// delivery id, else by the SHA-256 of its body.
func TestDeliveryKeyWithoutAnExpression(t *testing.T) {
	const file = "provider: shop\nmodule: m\naccepts: [webhook, nats]\nwebhook:\n  signature: {scheme: github, secret: '${HOOK_SECRET}'}\nrules:\n  - when: true" + validRule + "\n"
	m, ds := Parse("f.yaml", []byte(file), Options{LookupEnv: func(string) (string, bool) { return "a-secret-long-enough-1234567890", true }})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	bodyHash := func(b string) string { s := sha256.Sum256([]byte(b)); return hex.EncodeToString(s[:]) }
	for _, tc := range []struct {
		name, body, delivery, deliveryID, want string
	}{
		{"the scheme's delivery header", `{"id":"o1"}`, "d-1", "n-1", "d-1"},
		{"the same header, another body", `{"id":"o2"}`, "d-1", "", "d-1"},
		{"the door's delivery id", `{"id":"o1"}`, "", "n-1", "n-1"},
		{"the body", `{"id":"o1"}`, "", "", bodyHash(`{"id":"o1"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.delivery != "" {
				h.Set("X-GitHub-Delivery", tc.delivery)
			}
			in := NewInput("shop", IngestWebhook, []byte(tc.body), h, time.Now())
			in.DeliveryID = tc.deliveryID
			in.Payload = map[string]any{"id": "o1"}
			res := m.Apply(in)
			if res.Failure != nil {
				t.Fatal(res.Failure)
			}
			if want := idem.KeyFor("shop", tc.want); res.Key != want {
				t.Errorf("key %s, want the key of %q (%s)", res.Key, tc.want, want)
			}
		})
	}
}

// idString writes an integral number without a decimal point, any other
// as its shortest decimal.
func TestIDStringOfFloats(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{12, "12"},
		{-3, "-3"},
		{12.5, "12.5"},
		{1e21, "1000000000000000000000"},
	} {
		if got, err := idString(tc.v); err != nil || got != tc.want {
			t.Errorf("idString(%v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
}
