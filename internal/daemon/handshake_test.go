package daemon

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// signerOf returns the signer of providerCases for scheme.
func signerOf(t *testing.T, scheme string) func(secret string, at time.Time, body []byte) (map[string]string, string) {
	t.Helper()
	for _, pc := range providerCases {
		if pc.scheme == scheme {
			return pc.sign
		}
	}
	t.Fatalf("no provider case for %s", scheme)
	return nil
}

// getRaw sends a GET and returns the answer with its body as sent.
func getRaw(t *testing.T, u string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// TestHandshakesThroughTheDaemon: each provider's handshake, sent to a
// real daemon as the provider sends it, is answered exactly as the
// provider expects and stores nothing, neither in EVENTS nor in EVENTS_DLQ
// (the test mappings have no rule for a handshake: were it delivered, it
// would be dead-lettered); a handshake with a bad signature, or a wrong
// verify_token, is refused, and the scheme's deliveries are stored as
// before.
func TestHandshakesThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	const verifyToken = "meta-verify-token-0f3c9a7d2b"
	t.Setenv("TEST_META_VERIFY_TOKEN", verifyToken)
	secrets := map[string]string{"slack": "secret-of-slack", "zoom": "secret-of-zoom", "discord": "secret-of-discord", "meta": "secret-of-meta"}
	writeSchemeMapping(t, dir, "slack", secrets["slack"], "")
	writeSchemeMapping(t, dir, "zoom", secrets["zoom"], "")
	writeSchemeMapping(t, dir, "meta", secrets["meta"], "verify_token: '${TEST_META_VERIFY_TOKEN}'")
	// A second meta provider, without verify_token: it answers no GET.
	noToken := "provider: whatsapp\nmodule: test\nwebhook:\n  signature: {scheme: meta, secret: '${TEST_meta_SECRET}'}\n" +
		"rules:\n  - {name: any, when: 'true', drop: true}\n"
	if err := os.WriteFile(filepath.Join(dir, "whatsapp.yaml"), []byte(noToken), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, pc := range providerCases {
		if pc.scheme == "discord" {
			writeSchemeMapping(t, dir, "discord", "", pc.settings)
		}
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	events, dlq := streamMsgs(t, b.js, "EVENTS"), streamMsgs(t, b.js, "EVENTS_DLQ")
	stored := func(t *testing.T) {
		t.Helper()
		if e, d := streamMsgs(t, b.js, "EVENTS"), streamMsgs(t, b.js, "EVENTS_DLQ"); e != events || d != dlq {
			t.Fatalf("handshakes stored %d events and %d dead letters", e-events, d-dlq)
		}
	}
	now := time.Now()
	signedPost := func(t *testing.T, scheme, secret string, at time.Time, body string) reply {
		t.Helper()
		h, _ := signerOf(t, scheme)(secret, at, []byte(body))
		return post(t, b.base+"/webhooks/"+scheme, []byte(body), h)
	}
	wantAnswer := func(t *testing.T, r reply, contentType, body string) {
		t.Helper()
		if r.status != http.StatusOK || r.header.Get("Content-Type") != contentType || string(r.raw) != body {
			t.Fatalf("answer %d %q %q, want 200 %q %q", r.status, r.header.Get("Content-Type"), r.raw, contentType, body)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("answer headers %v, want no-store and nosniff", r.header)
		}
	}
	wantProblem := func(t *testing.T, name string, r reply, status int, slug string) {
		t.Helper()
		if r.status != status || r.body["type"] != "urn:bridge:problem:"+slug {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.raw, status, slug)
		}
	}
	// refusedAsDeliveries posts body signed as refused deliveries are:
	// with another secret, expired, unsigned.
	refusedAsDeliveries := func(t *testing.T, scheme, body string) {
		t.Helper()
		wantProblem(t, "wrong secret", signedPost(t, scheme, "not-"+secrets[scheme], now, body), http.StatusUnauthorized, "bad-signature")
		wantProblem(t, "expired", signedPost(t, scheme, secrets[scheme], now.Add(-10*time.Minute), body), http.StatusUnauthorized, "bad-signature")
		wantProblem(t, "unsigned", post(t, b.base+"/webhooks/"+scheme, []byte(body), nil), http.StatusUnauthorized, "bad-signature")
		h, _ := signerOf(t, scheme)(secrets[scheme], now, []byte(body))
		wantProblem(t, "tampered", post(t, b.base+"/webhooks/"+scheme, []byte(strings.Replace(body, `"`, ` "`, 1)), h), http.StatusUnauthorized, "bad-signature")
	}

	t.Run("slack url_verification", func(t *testing.T) {
		const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
		body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"` + challenge + `","type":"url_verification"}`
		wantAnswer(t, signedPost(t, "slack", secrets["slack"], now, body), "application/json", `{"challenge":"`+challenge+`"}`)
		refusedAsDeliveries(t, "slack", body)
		wantProblem(t, "markup challenge", signedPost(t, "slack", secrets["slack"], now, `{"type":"url_verification","challenge":"<b>x</b>"}`),
			http.StatusBadRequest, "invalid-body")
		stored(t)
	})

	t.Run("zoom endpoint.url_validation", func(t *testing.T) {
		const plain = "qgg8vlvZRS6UYooatFL8Aw"
		body := `{"payload":{"plainToken":"` + plain + `"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`
		encrypted := hex.EncodeToString(hmacSHA256(secrets["zoom"], []byte(plain)))
		wantAnswer(t, signedPost(t, "zoom", secrets["zoom"], now, body), "application/json",
			`{"encryptedToken":"`+encrypted+`","plainToken":"`+plain+`"}`)
		refusedAsDeliveries(t, "zoom", body)
		stored(t)
	})

	t.Run("discord PING", func(t *testing.T) {
		body := `{"type":1,"id":"1091442367934521385","application_id":"1091442367934521300","token":"aW50ZXJhY3Rpb24","version":1}`
		wantAnswer(t, signedPost(t, "discord", secrets["discord"], now, body), "application/json", `{"type":1}`)
		refusedAsDeliveries(t, "discord", body)
		stored(t)
	})

	t.Run("meta verification GET", func(t *testing.T) {
		verify := func(mode, token, challenge string) string {
			q := url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {challenge}}
			return b.base + "/webhooks/meta?" + q.Encode()
		}
		wantAnswer(t, getRaw(t, verify("subscribe", verifyToken, "1158201444")), "text/plain; charset=utf-8", "1158201444")
		wantProblem(t, "wrong verify_token", getRaw(t, verify("subscribe", "not-"+verifyToken, "1158201444")), http.StatusForbidden, "forbidden")
		wantProblem(t, "the app secret as verify_token", getRaw(t, verify("subscribe", secrets["meta"], "1158201444")), http.StatusForbidden, "forbidden")
		wantProblem(t, "no verify_token", getRaw(t, b.base+"/webhooks/meta?hub.mode=subscribe&hub.challenge=1"), http.StatusForbidden, "forbidden")
		wantProblem(t, "unsubscribe", getRaw(t, verify("unsubscribe", verifyToken, "1158201444")), http.StatusForbidden, "forbidden")
		r := getRaw(t, verify("subscribe", verifyToken, "<script>alert(1)</script>"))
		wantProblem(t, "markup challenge", r, http.StatusBadRequest, "invalid-query")
		if strings.Contains(string(r.raw), "<script>") {
			t.Errorf("the refused challenge is reflected: %s", r.raw)
		}
		// Other methods are 405, now saying GET is answered too.
		req, err := http.NewRequest(http.MethodPut, verify("subscribe", verifyToken, "1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		r = do(t, req)
		wantProblem(t, "PUT", r, http.StatusMethodNotAllowed, "method-not-allowed")
		if r.header.Get("Allow") != "GET, POST" {
			t.Errorf("Allow: %q, want GET, POST", r.header.Get("Allow"))
		}
		stored(t)
	})

	t.Run("no verify_token, no GET", func(t *testing.T) {
		for _, provider := range []string{"whatsapp", "slack"} {
			r := getRaw(t, b.base+"/webhooks/"+provider+"?hub.mode=subscribe&hub.verify_token="+verifyToken+"&hub.challenge=1")
			wantProblem(t, "GET "+provider, r, http.StatusMethodNotAllowed, "method-not-allowed")
			if r.header.Get("Allow") != "POST" {
				t.Errorf("%s: Allow: %q, want POST", provider, r.header.Get("Allow"))
			}
		}
		stored(t)
	})

	wantMetrics(t, scrape(t, b), map[string]float64{
		`bridge_rejections_total{ingest="webhook",provider="meta",reason="handshake_forbidden"}`: 4,
		`bridge_rejections_total{ingest="webhook",provider="meta",reason="handshake_invalid"}`:   1,
		`bridge_rejections_total{ingest="webhook",provider="slack",reason="handshake_invalid"}`:  1,
	})

	// The schemes' deliveries are stored as before.
	for i, scheme := range []string{"slack", "zoom", "discord", "meta"} {
		body := fmt.Sprintf(`{"type":"thing.created","id":"thing_hs_%d"}`, i)
		if r := signedPost(t, scheme, secrets[scheme], now, body); r.status != http.StatusAccepted {
			t.Errorf("%s delivery: %d %s", scheme, r.status, r.raw)
		}
	}
	if e := streamMsgs(t, b.js, "EVENTS"); e != events+4 {
		t.Errorf("EVENTS holds %d more, want the 4 deliveries", e-events)
	}
}
