package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// FuzzWebhookBody sends arbitrary bodies through the real webhook handler,
// pipeline and JetStream to the unsigned pix mapping: every answer must be
// one of the documented ones, with a JSON body, and nothing may panic.
func FuzzWebhookBody(f *testing.F) {
	srv := natstest.Start(f)
	_, js := natstest.Connect(f, srv.URL())
	cfg := publish.DefaultConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := publish.EnsureStreams(ctx, js, cfg); err != nil {
		f.Fatal(err)
	}
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	set, err := transform.Load("../../mappings", transform.Options{LookupEnv: func(string) (string, bool) { return "s", true }})
	if err != nil {
		f.Fatal(err)
	}
	wh, err := NewWebhook(func() Mappings { return set }, pipeline.New(pub, pipeline.Options{}),
		WebhookConfig{BodyLimit: 64 << 10, Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"pix":[{"endToEndId":"E1","valor":"1.00","horario":"2026-01-01T00:00:00Z"}]}`,
		`{"pix":[{"endToEndId":"E1","valor":"1.001","horario":"2026-01-01T00:00:00Z"}]}`,
		`{"pix":[{"endToEndId":null,"valor":1,"horario":12}]}`,
		`{"pix":{}}`, `{"pix":[]}`, `{"pix":[1,"a",null]}`, `[]`, `null`, `"x"`, `{`, ``, "\xff\xfe",
		`{"pix":[{"endToEndId":"E2","valor":"1e400","horario":"2026-01-01T00:00:00Z","devolucoes":[{"valor":"x"}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/pix", bytes.NewReader(body))
		req.SetPathValue("provider", "pix")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		wh.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("answer is not a JSON object: %v: %s", err, rec.Body.Bytes())
		}
		if rec.Code == http.StatusAccepted && answer["events"] == nil && answer["dead_lettered"] != true {
			t.Fatalf("202 without events or dead letter: %s", rec.Body.Bytes())
		}
	})
}
