package daemon

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// providerCase is a provider scheme under test through the daemon: how its
// deliveries are signed, and whether it signs a timestamp.
type providerCase struct {
	scheme    string
	sign      func(secret string, at time.Time, body []byte) map[string]string
	timestamp bool // the scheme signs a timestamp, so an old delivery is expired
}

func hmacSHA256(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

var providerCases = []providerCase{
	{scheme: "slack", timestamp: true, sign: func(secret string, at time.Time, body []byte) map[string]string {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"X-Slack-Request-Timestamp": ts,
			"X-Slack-Signature": "v0=" + hex.EncodeToString(hmacSHA256(secret, []byte("v0:"+ts+":"), body))}
	}},
	{scheme: "shopify", sign: func(secret string, _ time.Time, body []byte) map[string]string {
		return map[string]string{"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(hmacSHA256(secret, body)),
			"X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}
	}},
	{scheme: "meta", sign: func(secret string, _ time.Time, body []byte) map[string]string {
		return map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(hmacSHA256(secret, body))}
	}},
	{scheme: "zoom", timestamp: true, sign: func(secret string, at time.Time, body []byte) map[string]string {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"x-zm-request-timestamp": ts,
			"x-zm-signature": "v0=" + hex.EncodeToString(hmacSHA256(secret, []byte("v0:"+ts+":"), body))}
	}},
}

// TestProviderSchemesThroughTheDaemon posts, for each provider scheme, a
// delivery signed as the provider signs it to a real daemon with a
// mapping using the scheme: it is stored (202, the event in EVENTS);
// tampered, wrong-secret and (for schemes that sign a timestamp) expired
// deliveries are refused 401 bad-signature and store nothing.
func TestProviderSchemesThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	secrets := map[string]string{}
	for _, pc := range providerCases {
		secrets[pc.scheme] = "secret-of-" + pc.scheme
		writeSchemeMapping(t, dir, pc.scheme, secrets[pc.scheme])
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	for i, pc := range providerCases {
		t.Run(pc.scheme, func(t *testing.T) {
			url := b.base + "/webhooks/" + pc.scheme
			body := []byte(fmt.Sprintf(`{"type":"thing.created","id":"thing_%d"}`, i))
			now := time.Now()
			refused := []struct {
				name    string
				body    []byte
				headers map[string]string
			}{
				{"tampered", []byte(fmt.Sprintf(`{"type":"thing.created","id":"thing_%d0"}`, i)), pc.sign(secrets[pc.scheme], now, body)},
				{"wrong secret", body, pc.sign("not-"+secrets[pc.scheme], now, body)},
				{"unsigned", body, nil},
			}
			if pc.timestamp {
				refused = append(refused, struct {
					name    string
					body    []byte
					headers map[string]string
				}{"expired", body, pc.sign(secrets[pc.scheme], now.Add(-10*time.Minute), body)})
			}
			before := streamMsgs(t, b.js, "EVENTS")
			for _, rc := range refused {
				r := post(t, url, rc.body, rc.headers)
				if r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
					t.Errorf("%s: %d %s, want 401 bad-signature", rc.name, r.status, r.raw)
				}
			}
			if n := streamMsgs(t, b.js, "EVENTS"); n != before {
				t.Fatalf("refused deliveries stored %d events", n-before)
			}
			r := post(t, url, body, pc.sign(secrets[pc.scheme], now, body))
			if r.status != http.StatusAccepted {
				t.Fatalf("signed delivery: %d %s", r.status, r.raw)
			}
			subject := "event." + pc.scheme + ".test.thing.created"
			if r.body["type"] != subject {
				t.Fatalf("answer %s, want type %s", r.raw, subject)
			}
			m := lastMsg(t, b.js, "EVENTS", subject)
			if m.Header.Get("ce-id") != r.body["id"] {
				t.Errorf("stored ce-id %q, answered id %v", m.Header.Get("ce-id"), r.body["id"])
			}
		})
	}
}

// writeSchemeMapping writes dir/<scheme>.yaml, provider and scheme both
// named scheme, its secret from TEST_<scheme>_SECRET (set to secret), one
// rule for payload.type "thing.created".
func writeSchemeMapping(t *testing.T, dir, scheme, secret string) {
	t.Helper()
	env := fmt.Sprintf("TEST_%s_SECRET", scheme)
	t.Setenv(env, secret)
	mapping := fmt.Sprintf(`provider: %[1]s
module: test
webhook:
  signature: {scheme: %[1]s, secret: '${%[2]s}'}
idempotency_key: payload.id
rules:
  - name: created
    when: payload.type == "thing.created"
    entity_type: thing
    event_name: created
    entity_id: payload.id
    source: '"https://example.com/things/" + payload.id'
`, scheme, env)
	if err := os.WriteFile(filepath.Join(dir, scheme+".yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMercadoPagoThroughTheDaemon: Mercado Pago signs the data.id query
// parameter of the URL it calls; the daemon gives the scheme the request's
// URL, so a signed notification is stored and one whose data.id was changed
// is refused.
func TestMercadoPagoThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	const secret = "mp-secret-of-the-app"
	writeSchemeMapping(t, dir, "mercadopago", secret)
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	sign := func(secret, dataID, ts string) map[string]string {
		manifest := "id:" + dataID + ";request-id:req-1;ts:" + ts + ";"
		return map[string]string{"x-request-id": "req-1", "x-signature": "ts=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256(secret, []byte(manifest)))}
	}
	body := []byte(`{"type":"thing.created","id":"mp_1","data":{"id":"123456"}}`)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	url := b.base + "/webhooks/mercadopago?type=payment&data.id="
	before := streamMsgs(t, b.js, "EVENTS")
	for name, r := range map[string]reply{
		"data.id changed": post(t, url+"123457", body, sign(secret, "123456", ts)),
		"data.id dropped": post(t, b.base+"/webhooks/mercadopago", body, sign(secret, "123456", ts)),
		"wrong secret":    post(t, url+"123456", body, sign("not-"+secret, "123456", ts)),
	} {
		if r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
			t.Errorf("%s: %d %s, want 401 bad-signature", name, r.status, r.raw)
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("refused deliveries stored %d events", n-before)
	}
	r := post(t, url+"123456", body, sign(secret, "123456", ts))
	if r.status != http.StatusAccepted || r.body["type"] != "event.mercadopago.test.thing.created" {
		t.Fatalf("signed notification: %d %s", r.status, r.raw)
	}
	lastMsg(t, b.js, "EVENTS", "event.mercadopago.test.thing.created")
}
