package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
	"github.com/nats-io/nats.go/jetstream"
)

// NewWebhook refuses a body limit or a timeout of 0 or less, naming each.
func TestNewWebhookValidates(t *testing.T) {
	set := func() Mappings { return nil }
	h := pipeline.New(nil, pipeline.Options{})
	tests := []struct {
		name string
		cfg  WebhookConfig
		want []string // the problems named; none: accepted
	}{
		{"smallest", WebhookConfig{BodyLimit: 1, Timeout: time.Nanosecond}, nil},
		{"zero body limit", WebhookConfig{BodyLimit: 0, Timeout: time.Second}, []string{"body limit must be > 0"}},
		{"negative body limit", WebhookConfig{BodyLimit: -1, Timeout: time.Second}, []string{"body limit must be > 0"}},
		{"zero timeout", WebhookConfig{BodyLimit: 1, Timeout: 0}, []string{"timeout must be > 0"}},
		{"both", WebhookConfig{BodyLimit: 0, Timeout: -time.Second}, []string{"body limit must be > 0", "timeout must be > 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wh, err := NewWebhook(set, h, tc.cfg)
			if tc.want == nil {
				if err != nil || wh == nil {
					t.Fatalf("NewWebhook(%+v) = %v, %v; want a handler", tc.cfg, wh, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewWebhook(%+v) accepted", tc.cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewWebhook(%+v) = %v; want it to say %q", tc.cfg, err, w)
				}
			}
		})
	}
}

// A webhook whose events are stored is answered 202 with the stored
// events, as JSON; with the events stream gone it is answered 503 with the
// store-unavailable problem and a Retry-After.
func TestWebhookAnswersTheVerdict(t *testing.T) {
	wh, js, cfg := shippedWebhook(t, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	post := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/pix", bytes.NewReader([]byte(body)))
		req.SetPathValue("provider", "pix")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		wh.ServeHTTP(rec, req)
		return rec
	}

	rec := post(`{"pix":[{"endToEndId":"E1","valor":"1.00","horario":"2026-01-01T00:00:00Z"}]}`)
	var answer VerdictBody
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("answer %s: %v", rec.Body.Bytes(), err)
	}
	stored := natstest.StreamMessages(t, js, cfg.Stream)
	if rec.Code != http.StatusAccepted || answer.DeadLettered || len(stored) == 0 {
		t.Fatalf("status %d, answer %s, %d events stored; want 202 and the stored events", rec.Code, rec.Body.Bytes(), len(stored))
	}
	ids := map[string]bool{answer.ID: answer.ID != ""}
	if answer.Events != nil {
		for _, e := range *answer.Events {
			ids[e.ID] = true
		}
	}
	for _, m := range stored {
		if !ids[m.Header.Get(publish.HeaderCEID)] {
			t.Errorf("stored event %s is not in the answer %s", m.Header.Get(publish.HeaderCEID), rec.Body.Bytes())
		}
	}

	if err := js.DeleteStream(ctx, cfg.Stream); err != nil {
		t.Fatal(err)
	}
	rec = post(`{"pix":[{"endToEndId":"E2","valor":"2.00","horario":"2026-01-01T00:00:00Z"}]}`)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "store-unavailable") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("with no events stream: status %d, Retry-After %q, answer %s; want 503 store-unavailable", rec.Code, rec.Header().Get("Retry-After"), rec.Body.Bytes())
	}
}

// shippedWebhook is a webhook door over the shipped mappings (secrets
// "s"), storing in a real JetStream through the publisher and the
// pipeline, within timeout per delivery; js and cfg reach its streams.
func shippedWebhook(tb testing.TB, timeout time.Duration) (*Webhook, jetstream.JetStream, publish.Config) {
	tb.Helper()
	srv := natstest.Start(tb)
	_, js := natstest.Connect(tb, srv.URL())
	cfg := publish.DefaultConfig()
	if err := publish.EnsureStreams(natstest.Context(tb, 20*time.Second), js, cfg); err != nil {
		tb.Fatal(err)
	}
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := transform.Load("../../mappings", transform.Options{LookupEnv: func(string) (string, bool) { return "s", true }})
	if err != nil {
		tb.Fatal(err)
	}
	wh, err := NewWebhook(func() Mappings { return set }, pipeline.New(pub, pipeline.Options{}),
		WebhookConfig{BodyLimit: 64 << 10, Timeout: timeout})
	if err != nil {
		tb.Fatal(err)
	}
	return wh, js, cfg
}
