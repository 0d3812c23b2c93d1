package daemon

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// signedMapping is a provider without a scheme of its own, verified with
// the generic hmac scheme's signed expression: a Stripe-like header
// "t=<ts>,v1=<hex>" over "<t>.<account query parameter>.<body>", checked
// against the tolerance. Its rule reads the query too.
const signedMapping = `provider: acme
module: test
webhook:
  signature:
    scheme: hmac
    secret: '${TEST_ACME_SECRET}'
    header: X-Acme-Signature
    signed: 'sig.t + "." + query["account"] + "." + body'
    mac: sig.v1
    timestamp: sig.t
idempotency_key: payload.id
rules:
  - name: created
    when: payload.type == "thing.created"
    entity_type: thing
    event_name: created
    entity_id: payload.id
    source: '"https://example.com/things/" + payload.id'
    data:
      account: query["account"]
`

// TestSignedExpressionThroughTheDaemon posts deliveries signed as the
// mapping's signed expression says to a real daemon: a signed one is
// stored (202, the event in EVENTS, its data read from the query); a
// tampered body, a changed query, a wrong secret, a stale timestamp, an
// unsigned one and one without the MAC's part are refused 401
// bad-signature, naming the header, and store nothing.
func TestSignedExpressionThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	const secret = "acme-secret-of-the-test"
	t.Setenv("TEST_ACME_SECRET", secret)
	if err := os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(signedMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	sign := func(secret string, at time.Time, account string, body []byte) map[string]string {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"X-Acme-Signature": "t=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256(secret, []byte(ts+"."+account+"."), body))}
	}
	body := []byte(`{"type":"thing.created","id":"acme_1"}`)
	url := b.base + "/webhooks/acme?account="
	now := time.Now()
	before := streamMsgs(t, b.js, "EVENTS")
	for name, r := range map[string]reply{
		"tampered body":   post(t, url+"acct_1", []byte(strings.Replace(string(body), "acme_1", "acme_2", 1)), sign(secret, now, "acct_1", body)),
		"query changed":   post(t, url+"acct_2", body, sign(secret, now, "acct_1", body)),
		"query dropped":   post(t, b.base+"/webhooks/acme", body, sign(secret, now, "acct_1", body)),
		"wrong secret":    post(t, url+"acct_1", body, sign("not-"+secret, now, "acct_1", body)),
		"stale":           post(t, url+"acct_1", body, sign(secret, now.Add(-10*time.Minute), "acct_1", body)),
		"unsigned":        post(t, url+"acct_1", body, nil),
		"no v1 part":      post(t, url+"acct_1", body, map[string]string{"X-Acme-Signature": "t=" + strconv.FormatInt(now.Unix(), 10)}),
		"a bare mac only": post(t, url+"acct_1", body, map[string]string{"X-Acme-Signature": hex.EncodeToString(hmacSHA256(secret, body))}),
	} {
		if r.status != http.StatusUnauthorized || r.body["type"] != "urn:bridge:problem:bad-signature" {
			t.Errorf("%s: %d %s, want 401 bad-signature", name, r.status, r.raw)
			continue
		}
		if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "X-Acme-Signature: ") || strings.Contains(string(r.raw), secret) {
			t.Errorf("%s: detail %q, want it to name the header and never the secret", name, d)
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("refused deliveries stored %d events", n-before)
	}
	r := post(t, url+"acct_1", body, sign(secret, now, "acct_1", body))
	if r.status != http.StatusAccepted || r.body["type"] != "event.acme.test.thing.created" {
		t.Fatalf("signed delivery: %d %s", r.status, r.raw)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.acme.test.thing.created")
	var ev struct {
		ID   string         `json:"id"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != r.body["id"] || ev.Data["account"] != "acct_1" {
		t.Errorf("stored event %s, want id %v and data.account from the query", m.Data, r.body["id"])
	}
}
