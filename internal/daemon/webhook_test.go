package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

func TestWebhookStoresAProfileValidEvent(t *testing.T) {
	b := startBridge(t, nil, nil) // the embedded server: the default set-up
	r := postStripe(t, b, "charge.succeeded.json")
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if r.body["type"] != "event.stripe.payments.charge.succeeded" || r.body["id"] == nil || r.body["idempotencykey"] == nil {
		t.Fatalf("answer %s", r.raw)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.stripe.payments.charge.succeeded")
	if err := transform.ValidateProfile(m.Data); err != nil {
		t.Fatalf("stored event breaks the profile: %v\n%s", err, m.Data)
	}
	for h, want := range map[string]any{
		"Nats-Msg-Id":  r.body["idempotencykey"],
		"ce-id":        r.body["id"],
		"ce-type":      "event.stripe.payments.charge.succeeded",
		"Content-Type": "application/cloudevents+json",
	} {
		if got := m.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if !strings.HasPrefix(m.Header.Get("ce-subject"), "charge/") || m.Header.Get("ce-source") == "" {
		t.Errorf("ce-subject %q ce-source %q", m.Header.Get("ce-subject"), m.Header.Get("ce-source"))
	}
}

func TestWebhookAnswers(t *testing.T) {
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.BodyLimit = 32 << 10 })
	stripeBody := readExample(t, "stripe/payment_intent.succeeded.json")
	now := time.Now()
	tests := []struct {
		name    string
		method  string
		path    string
		ctype   string
		body    []byte
		header  map[string]string
		status  int
		want    map[string]any // fields of the answer
		problem string         // problem type slug, for error answers
	}{
		{name: "published", path: "/webhooks/stripe", body: stripeBody,
			header: map[string]string{"Stripe-Signature": stripeSign(stripeBody, now)},
			status: 202, want: map[string]any{"type": "event.stripe.payments.payment_intent.succeeded"}},
		{name: "several events", path: "/webhooks/pix", body: readExample(t, "pix/pix.received.json"), status: 202},
		{name: "dead-lettered", path: "/webhooks/stripe", body: readExample(t, "stripe/customer.created.json"),
			header: map[string]string{"Stripe-Signature": stripeSign(readExample(t, "stripe/customer.created.json"), now)},
			status: 202, want: map[string]any{"dead_lettered": true, "reason": "no_rule"}},
		{name: "dropped", path: "/webhooks/github", body: readExample(t, "github/ping.json"),
			header: map[string]string{"X-Hub-Signature-256": githubSign(readExample(t, "github/ping.json")), "X-GitHub-Event": "ping",
				"X-GitHub-Delivery": "0e3b4a2c-0000-4000-8000-000000000001"},
			status: 202, want: map[string]any{"dropped": true, "rule": "ping"}},
		{name: "unknown provider", path: "/webhooks/paypal", body: []byte(`{}`), status: 404, problem: "unknown-provider"},
		{name: "wrong method", method: http.MethodGet, path: "/webhooks/stripe", status: 405, problem: "method-not-allowed"},
		{name: "wrong content type", path: "/webhooks/stripe", ctype: "text/plain", body: stripeBody, status: 415, problem: "unsupported-media-type"},
		{name: "too large", path: "/webhooks/pix", body: bytes.Repeat([]byte(" "), 40<<10), status: 413, problem: "body-too-large"},
		{name: "missing signature", path: "/webhooks/stripe", body: stripeBody, status: 401, problem: "bad-signature",
			want: map[string]any{"reason": "missing"}},
		{name: "wrong signature", path: "/webhooks/stripe", body: stripeBody,
			header: map[string]string{"Stripe-Signature": stripeSign([]byte("other"), now)}, status: 401, problem: "bad-signature",
			want: map[string]any{"reason": "mismatch"}},
		{name: "replayed signature", path: "/webhooks/stripe", body: stripeBody,
			header: map[string]string{"Stripe-Signature": stripeSign(stripeBody, now.Add(-time.Hour))}, status: 401, problem: "bad-signature",
			want: map[string]any{"reason": "expired"}},
		{name: "invalid JSON", path: "/webhooks/stripe", body: []byte(`{"id": "evt_1",`),
			header: map[string]string{"Stripe-Signature": stripeSign([]byte(`{"id": "evt_1",`), now)}, status: 400, problem: "invalid-body"},
		{name: "headers too large", path: "/webhooks/pix", body: []byte(`{}`),
			header: map[string]string{"X-Big": strings.Repeat("a", 80<<10)}, status: 431},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, b.base+tc.path, bytes.NewReader(tc.body))
			ct := tc.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			r := do(t, req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			for k, v := range tc.want {
				if r.body[k] != v {
					t.Errorf("answer %s = %v, want %v (%s)", k, r.body[k], v, r.raw)
				}
			}
			if tc.problem != "" {
				if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("content type %q, want application/problem+json", ct)
				}
				if r.body["type"] != "urn:bridge:problem:"+tc.problem || r.body["status"] != float64(tc.status) || r.body["detail"] == "" {
					t.Errorf("problem %s", r.raw)
				}
			}
		})
	}
	// What was stored: one stripe event, three pix events, one dead letter.
	if n := streamMsgs(t, b.js, "EVENTS"); n != 4 {
		t.Errorf("EVENTS holds %d messages, want 4", n)
	}
	dl := lastMsg(t, b.js, "EVENTS_DLQ", "dlq.stripe.no_rule")
	if !bytes.Equal(dl.Data, readExample(t, "stripe/customer.created.json")) {
		t.Error("the dead letter's body is not the payload byte for byte")
	}
	for h, want := range map[string]string{deadletter.HeaderReason: "no_rule", deadletter.HeaderProvider: "stripe",
		deadletter.HeaderIngest: "webhook", deadletter.HeaderMappingFile: "../../mappings/stripe.yaml"} {
		if got := dl.Header.Get(h); got != want {
			t.Errorf("dead letter header %s = %q, want %q", h, got, want)
		}
	}
}

func TestRetriedDeliveryIsStoredOnce(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	first := postStripe(t, b, "charge.refunded.json")
	if first.status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", first.status, first.raw)
	}
	// The provider retries, several times at once (e.g. after a timeout).
	var wg sync.WaitGroup
	replies := make([]reply, 8)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = postStripe(t, b, "charge.refunded.json")
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if r.status != http.StatusOK || r.body["duplicate"] != true || r.body["id"] != first.body["id"] {
			t.Errorf("retry %d: %d %s, want 200 duplicate with id %v", i, r.status, r.raw, first.body["id"])
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 1 {
		t.Fatalf("EVENTS holds %d messages, want 1", n)
	}
}

func TestConcurrentFirstDeliveriesStoreOneEvent(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	body := readExample(t, "pix/pix.single.json")
	var wg sync.WaitGroup
	replies := make([]reply, 10)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = post(t, b.base+"/webhooks/pix", body, nil)
		}()
	}
	wg.Wait()
	ids := map[any]bool{}
	created := 0
	for _, r := range replies {
		if r.status == http.StatusAccepted {
			created++
		} else if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		events := r.body["events"].([]any)
		ids[events[0].(map[string]any)["id"]] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d answers said created and %d distinct ids, want 1 and 1", created, len(ids))
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 1 {
		t.Fatalf("EVENTS holds %d messages, want 1", n)
	}
}

func TestJetStreamOutage(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) { c.RequestTimeout = 500 * time.Millisecond })
	if r := postStripe(t, b, "charge.succeeded.json"); r.status != http.StatusAccepted {
		t.Fatalf("before the outage: %d %s", r.status, r.raw)
	}
	srv.Stop(t)

	// Neither the event nor a dead letter can be stored: 503 + Retry-After.
	for _, example := range []string{"payment_intent.payment_failed.json", "customer.created.json"} {
		r := postStripe(t, b, example)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" ||
			r.body["type"] != "urn:bridge:problem:store-unavailable" {
			t.Fatalf("%s during the outage: %d Retry-After=%q %s", example, r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
	if r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz")); r.status != http.StatusServiceUnavailable || r.body["ready"] != false {
		t.Errorf("readyz during the outage: %d %s", r.status, r.raw)
	}

	srv.Restart(t)
	checkFor(t, 10*time.Second, func() error {
		if r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz")); r.status != http.StatusOK {
			return fmt.Errorf("readyz after the outage: %d %s", r.status, r.raw)
		}
		return nil
	})
	// Nothing was half-written: only the event from before the outage.
	_, js := natstest.Connect(t, srv.URL())
	if n := streamMsgs(t, js, "EVENTS"); n != 1 {
		t.Fatalf("EVENTS holds %d messages after the outage, want 1", n)
	}
	if n := streamMsgs(t, js, "EVENTS_DLQ"); n != 0 {
		t.Fatalf("EVENTS_DLQ holds %d messages after the outage, want 0", n)
	}
	// The provider's retries now succeed, once.
	for _, want := range []int{http.StatusAccepted, http.StatusOK} {
		if r := postStripe(t, b, "payment_intent.payment_failed.json"); r.status != want {
			t.Fatalf("retry after the outage: %d, want %d: %s", r.status, want, r.raw)
		}
	}
	if r := postStripe(t, b, "customer.created.json"); r.status != http.StatusAccepted || r.body["dead_lettered"] != true {
		t.Fatalf("dead letter after the outage: %d %s", r.status, r.raw)
	}
	if n := streamMsgs(t, js, "EVENTS"); n != 2 {
		t.Fatalf("EVENTS holds %d messages, want 2", n)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	b := startBridge(t, nil, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := do(t, mustRequest(t, http.MethodGet, b.admin+path)); r.status != http.StatusOK {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	// Admin endpoints are not on the public listener.
	r, err := http.Get(b.base + "/healthz")
	if err != nil {
		t.Fatalf("public /healthz: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("public /healthz: %d, want 404", r.StatusCode)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestWebhookPathSuffixReachesTheProvider(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	// The API Pix appends "/pix" to the registered URL.
	r := post(t, b.base+"/webhooks/pix/pix", readExample(t, "pix/pix.single.json"), nil)
	if r.status != http.StatusAccepted || len(r.body["events"].([]any)) != 1 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
}

// TestFullStreamAnswers503: a stream at its max bytes refuses new events;
// the bridge answers 503 (the provider retries later), never a 2xx for an
// event that is not stored, and never evicts a stored event.
func TestFullStreamAnswers503(t *testing.T) {
	b := startBridge(t, natstest.Start(t), func(c *config.Config) {
		c.Streams.MaxBytes = 16 << 10
		c.RequestTimeout = 300 * time.Millisecond
	})
	accepted := 0
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("the stream never filled up")
		}
		r := post(t, b.base+"/webhooks/pix", pixDelivery(i), nil)
		if r.status == http.StatusServiceUnavailable {
			if r.header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			break
		}
		if r.status != http.StatusAccepted {
			t.Fatalf("delivery %d: %d %s", i, r.status, r.raw)
		}
		accepted++
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != uint64(accepted) {
		t.Fatalf("EVENTS holds %d events, but %d deliveries were answered 202", n, accepted)
	}
}

// TestTwoBridgesRaceOneDelivery: the same delivery sent at once to two
// bridges sharing one NATS server is stored once, and both answer with the
// same event id.
func TestTwoBridgesRaceOneDelivery(t *testing.T) {
	srv := natstest.Start(t)
	b1, b2 := startBridge(t, srv, nil), startBridge(t, srv, nil)
	for round := range 5 {
		body := pixDelivery(1000 + round)
		var wg sync.WaitGroup
		replies := make([]reply, 6)
		for i := range replies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				base := b1.base
				if i%2 == 1 {
					base = b2.base
				}
				replies[i] = post(t, base+"/webhooks/pix", body, nil)
			}()
		}
		wg.Wait()
		ids := map[any]bool{}
		for _, r := range replies {
			if r.status/100 != 2 {
				t.Fatalf("round %d: %d %s", round, r.status, r.raw)
			}
			ids[r.body["events"].([]any)[0].(map[string]any)["id"]] = true
		}
		if len(ids) != 1 {
			t.Errorf("round %d: %d different event ids answered, want 1", round, len(ids))
		}
	}
	if n := streamMsgs(t, b1.js, "EVENTS"); n != 5 {
		t.Fatalf("EVENTS holds %d events, want 5", n)
	}
}

// pixDelivery is a unique, valid Pix callback with one Pix.
func pixDelivery(i int) []byte {
	return fmt.Appendf(nil, `{"pix":[{"endToEndId":"E12345678202601011200%011d","txid":"t%d","valor":"%d.00","chave":"a@b.c","horario":"2026-01-01T12:00:00Z"}]}`, i, i, 1+i%900)
}
