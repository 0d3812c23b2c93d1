package daemon

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// providerCase is a provider scheme under test through the daemon: the
// settings its mapping needs beside the secret, how its deliveries are
// signed, and whether it signs a timestamp.
type providerCase struct {
	scheme   string
	settings string // more keys of the signature block, e.g. "url: https://..."
	noSecret bool   // the scheme takes no secret (public keys)
	// sign returns the headers, and the query of the URL to post to, of a
	// delivery of body signed with secret at a time.
	sign      func(secret string, at time.Time, body []byte) (map[string]string, string)
	timestamp bool // the scheme signs a timestamp, so an old delivery is expired
}

func hmacSHA256(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// ed25519For is the key pair the tests derive from a "secret".
func ed25519For(secret string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(secret))
	return ed25519.NewKeyFromSeed(seed[:])
}

// publicURL is the URL square and twilio mappings say the provider calls:
// the bridge's public address, not the loopback one the test posts to.
const publicURL = "https://bridge.example.com/webhooks/"

var providerCases = []providerCase{
	{scheme: "slack", timestamp: true, sign: func(secret string, at time.Time, body []byte) (map[string]string, string) {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"X-Slack-Request-Timestamp": ts,
			"X-Slack-Signature": "v0=" + hex.EncodeToString(hmacSHA256(secret, []byte("v0:"+ts+":"), body))}, ""
	}},
	{scheme: "shopify", sign: func(secret string, _ time.Time, body []byte) (map[string]string, string) {
		return map[string]string{"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(hmacSHA256(secret, body)),
			"X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}, ""
	}},
	{scheme: "meta", sign: func(secret string, _ time.Time, body []byte) (map[string]string, string) {
		return map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(hmacSHA256(secret, body))}, ""
	}},
	{scheme: "zoom", timestamp: true, sign: func(secret string, at time.Time, body []byte) (map[string]string, string) {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"x-zm-request-timestamp": ts,
			"x-zm-signature": "v0=" + hex.EncodeToString(hmacSHA256(secret, []byte("v0:"+ts+":"), body))}, ""
	}},
	{scheme: "discord", noSecret: true, settings: "public_key: " + hex.EncodeToString(ed25519For("secret-of-discord").Public().(ed25519.PublicKey)),
		timestamp: true, sign: func(secret string, at time.Time, body []byte) (map[string]string, string) {
			ts := strconv.FormatInt(at.Unix(), 10)
			return map[string]string{"X-Signature-Timestamp": ts,
				"X-Signature-Ed25519": hex.EncodeToString(ed25519.Sign(ed25519For(secret), append([]byte(ts), body...)))}, ""
		}},
	{scheme: "square", settings: "url: " + publicURL + "square", sign: func(secret string, _ time.Time, body []byte) (map[string]string, string) {
		return map[string]string{"x-square-hmacsha256-signature": base64.StdEncoding.EncodeToString(hmacSHA256(secret, []byte(publicURL+"square"), body))}, ""
	}},
	{scheme: "twilio", settings: "url: " + publicURL + "twilio", sign: func(secret string, _ time.Time, body []byte) (map[string]string, string) {
		sum := sha256.Sum256(body)
		query := "bodySHA256=" + hex.EncodeToString(sum[:])
		m := hmac.New(sha1.New, []byte(secret))
		m.Write([]byte(publicURL + "twilio?" + query))
		return map[string]string{"X-Twilio-Signature": base64.StdEncoding.EncodeToString(m.Sum(nil)),
			"I-Twilio-Idempotency-Token": "c5f1b2a4-0000-4000-8000-000000000001"}, query
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
		secret := secrets[pc.scheme]
		if pc.noSecret {
			secret = ""
		}
		writeSchemeMapping(t, dir, pc.scheme, secret, pc.settings)
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	for i, pc := range providerCases {
		t.Run(pc.scheme, func(t *testing.T) {
			body := []byte(fmt.Sprintf(`{"type":"thing.created","id":"thing_%d"}`, i))
			now := time.Now()
			type delivery struct {
				name    string
				body    []byte
				headers map[string]string
				query   string
			}
			signed := func(name string, secret string, at time.Time, posted []byte) delivery {
				h, q := pc.sign(secret, at, body)
				return delivery{name, posted, h, q}
			}
			good := signed("signed", secrets[pc.scheme], now, body)
			refused := []delivery{
				signed("tampered", secrets[pc.scheme], now, []byte(fmt.Sprintf(`{"type":"thing.created","id":"thing_%d0"}`, i))),
				signed("wrong secret", "not-"+secrets[pc.scheme], now, body),
				{"unsigned", body, nil, good.query},
			}
			if pc.timestamp {
				refused = append(refused, signed("expired", secrets[pc.scheme], now.Add(-10*time.Minute), body))
			}
			url := func(d delivery) string {
				u := b.base + "/webhooks/" + pc.scheme
				if d.query != "" {
					u += "?" + d.query
				}
				return u
			}
			before := streamMsgs(t, b.js, "EVENTS")
			for _, d := range refused {
				r := post(t, url(d), d.body, d.headers)
				if r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
					t.Errorf("%s: %d %s, want 401 bad-signature", d.name, r.status, r.raw)
				}
			}
			if n := streamMsgs(t, b.js, "EVENTS"); n != before {
				t.Fatalf("refused deliveries stored %d events", n-before)
			}
			r := post(t, url(good), good.body, good.headers)
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
// named scheme, its secret (unless "") from TEST_<scheme>_SECRET, settings
// (YAML lines) added to the signature block, one rule for payload.type
// "thing.created".
func writeSchemeMapping(t *testing.T, dir, scheme, secret, settings string) {
	t.Helper()
	block := "    scheme: " + scheme + "\n"
	if secret != "" {
		env := fmt.Sprintf("TEST_%s_SECRET", scheme)
		t.Setenv(env, secret)
		block += "    secret: '${" + env + "}'\n"
	}
	if settings != "" {
		block += "    " + settings + "\n"
	}
	mapping := fmt.Sprintf(`provider: %s
module: test
webhook:
  signature:
%sidempotency_key: payload.id
rules:
  - name: created
    when: payload.type == "thing.created"
    entity_type: thing
    event_name: created
    entity_id: payload.id
    source: '"https://example.com/things/" + payload.id'
`, scheme, block)
	if err := os.WriteFile(filepath.Join(dir, scheme+".yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMercadoPagoThroughTheDaemon: Mercado Pago signs the data.id query
// parameter of the URL it calls; the daemon gives the scheme the request's
// URL, so a signed notification is stored and one whose data.id was changed
// (in the URL or in the body) is refused.
func TestMercadoPagoThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	const secret = "mp-secret-of-the-app"
	writeSchemeMapping(t, dir, "mercadopago", secret, "")
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	sign := func(secret, dataID, ts string) map[string]string {
		manifest := "id:" + dataID + ";request-id:req-1;ts:" + ts + ";"
		return map[string]string{"x-request-id": "req-1", "x-signature": "ts=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256(secret, []byte(manifest)))}
	}
	body := []byte(`{"type":"thing.created","id":"mp_1","data":{"id":"123456"}}`)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	url := b.base + "/webhooks/mercadopago?data.id="
	before := streamMsgs(t, b.js, "EVENTS")
	for name, r := range map[string]reply{
		"data.id changed": post(t, url+"123457", body, sign(secret, "123456", ts)),
		"data.id dropped": post(t, b.base+"/webhooks/mercadopago", body, sign(secret, "123456", ts)),
		"wrong secret":    post(t, url+"123456", body, sign("not-"+secret, "123456", ts)),
		// A captured signature does not carry a body about another payment.
		"another payment's body": post(t, url+"123456", []byte(`{"type":"thing.created","id":"mp_2","data":{"id":"999"}}`), sign(secret, "123456", ts)),
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

// TestAdyenThroughTheDaemon: Adyen's signature is in the body, per item; a
// notification whose every item is signed is stored, one with a tampered
// or an added forged item is refused whole.
func TestAdyenThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	writeSchemeMapping(t, dir, "adyen", key, "")
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	item := func(hexKey, psp string, value int) string {
		k, err := hex.DecodeString(hexKey)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, k)
		fmt.Fprintf(m, "%s::AcmeShopECOM:order-1:%d:EUR:AUTHORISATION:true", psp, value)
		sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
		return fmt.Sprintf(`{"NotificationRequestItem":{"additionalData":{"hmacSignature":%q},"amount":{"value":%d,"currency":"EUR"},`+
			`"pspReference":%q,"eventCode":"AUTHORISATION","merchantAccountCode":"AcmeShopECOM","merchantReference":"order-1","success":"true"}}`, sig, value, psp)
	}
	notification := func(items ...string) []byte {
		return []byte(`{"type":"thing.created","id":"adyen_1","live":"false","notificationItems":[` + strings.Join(items, ",") + `]}`)
	}
	url := b.base + "/webhooks/adyen"
	before := streamMsgs(t, b.js, "EVENTS")
	for name, body := range map[string][]byte{
		"tampered amount": []byte(strings.Replace(string(notification(item(key, "7914073381342284", 1130))), `"value":1130`, `"value":113000`, 1)),
		"a forged item":   notification(item(key, "7914073381342284", 1130), item("00"+key[2:], "8814073381342299", 500000)),
		"wrong key":       notification(item("00"+key[2:], "7914073381342284", 1130)),
		"no signed items": notification(),
	} {
		if r := post(t, url, body, nil); r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
			t.Errorf("%s: %d %s, want 401 bad-signature", name, r.status, r.raw)
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("refused notifications stored %d events", n-before)
	}
	r := post(t, url, notification(item(key, "7914073381342284", 1130), item(key, "8814073381342299", 500)), nil)
	if r.status != http.StatusAccepted || r.body["type"] != "event.adyen.test.thing.created" {
		t.Fatalf("signed notification: %d %s", r.status, r.raw)
	}
	lastMsg(t, b.js, "EVENTS", "event.adyen.test.thing.created")
}
