package daemon

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// proxyMux is docs/signatures.md's verifying proxy, as written there
// (TestVerifyingProxyThroughTheDaemon checks that the two agree): it
// checks the provider's signature with verifyInitech, hands the body to
// the bridge as a NATS request and answers with the bridge's verdict.
func proxyMux(nc *nats.Conn, verifyInitech func(*http.Request, []byte) error) *http.ServeMux {
	// docs/signatures.md: begin
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/initech", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := verifyInitech(r, body); err != nil { // the provider's own check
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		msg := nats.NewMsg("bridge.ingest.initech")
		msg.Data = body
		msg.Header.Set("Initech-Delivery", r.Header.Get("Initech-Delivery"))
		reply, err := nc.RequestMsg(msg, 10*time.Second)
		if err != nil { // no bridge answered in time: nothing is known to be stored
			w.Header().Set("Retry-After", "5")
			http.Error(w, "not stored, retry", http.StatusServiceUnavailable)
			return
		}
		status, err := strconv.Atoi(reply.Header.Get("Bridge-Status"))
		if err != nil || status < 200 || status > 599 {
			http.Error(w, "no verdict from the bridge", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(reply.Data)
	})
	// docs/signatures.md: end
	return mux
}

// docBlock returns the first fenced block of docs/signatures.md that
// starts with start, without its fences.
func docBlock(t *testing.T, lang, start string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/signatures.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(" + regexp.QuoteMeta(start) + ".*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/signatures.md has no ```%s block starting %q", lang, start)
	}
	return string(m[1])
}

// TestVerifyingProxyThroughTheDaemon runs docs/signatures.md's "verifying
// proxy" in front of a real daemon whose mapping (the doc's) accepts only
// nats: a delivery the proxy verifies is stored and answered 202 with the
// event's id, its retry is a duplicate (the delivery header is the
// idempotency key), a forged one is refused 401 by the proxy and reaches
// nothing, and the bridge itself answers the provider's path 404.
func TestVerifyingProxyThroughTheDaemon(t *testing.T) {
	// The proxy here is the doc's, line for line.
	src, err := os.ReadFile("proxy_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, inner, _ := strings.Cut(string(src), "\t// docs/signatures.md: begin\n")
	inner, _, _ = strings.Cut(inner, "\t// docs/signatures.md: end\n")
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(inner, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if got, want := strings.Join(lines, "\n")+"\n", docBlock(t, "go", "mux := "); got != want {
		t.Fatalf("proxyMux is not docs/signatures.md's proxy:\n%s\nthe doc:\n%s", got, want)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "initech.yaml"), []byte(docBlock(t, "yaml", "provider: initech")), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	nc, _ := natstest.Connect(t, b.NATSURL())
	// Initech's own check, for the test: an HMAC of the body in a header.
	const secret = "initech-secret"
	verify := func(r *http.Request, body []byte) error {
		got, err := hex.DecodeString(r.Header.Get("Initech-Signature"))
		if err != nil || !hmac.Equal(got, hmacSHA256(secret, body)) {
			return errors.New("bad signature")
		}
		return nil
	}
	proxy := httptest.NewServer(proxyMux(nc, verify))
	t.Cleanup(proxy.Close)

	body := []byte(`{"type":"invoice.paid","invoice":{"id":"in_77","amount":9900,"currency":"EUR"}}`)
	signed := func(secret string) map[string]string {
		return map[string]string{"Initech-Signature": hex.EncodeToString(hmacSHA256(secret, body)), "Initech-Delivery": "dlv_77"}
	}
	before := streamMsgs(t, b.js, "EVENTS")
	if r := post(t, proxy.URL+"/hooks/initech", body, signed("not-"+secret)); r.status != http.StatusUnauthorized {
		t.Errorf("forged: %d %s, want 401 from the proxy", r.status, r.raw)
	}
	if r := post(t, b.base+"/webhooks/initech", body, signed(secret)); r.status != http.StatusNotFound {
		t.Errorf("the bridge's webhook path: %d %s, want 404 (the file accepts only nats)", r.status, r.raw)
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != before {
		t.Fatalf("refused deliveries stored %d events", n-before)
	}
	r := post(t, proxy.URL+"/hooks/initech", body, signed(secret))
	if r.status != http.StatusAccepted || r.body["type"] != "event.initech.billing.invoice.paid" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("verified delivery: %d %s", r.status, r.raw)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.initech.billing.invoice.paid")
	if m.Header.Get("ce-id") != r.body["id"] {
		t.Errorf("stored event %s, answered id %v", m.Header.Get("ce-id"), r.body["id"])
	}
	again := post(t, proxy.URL+"/hooks/initech", body, signed(secret))
	if again.status != http.StatusOK || again.body["duplicate"] != true || again.body["id"] != r.body["id"] {
		t.Errorf("retry: %d %s, want 200 duplicate with the original id", again.status, again.raw)
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != before+1 {
		t.Errorf("%d events stored, want 1", n-before)
	}
}
