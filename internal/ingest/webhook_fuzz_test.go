package ingest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzWebhookBody sends arbitrary bodies through the real webhook handler,
// pipeline and JetStream to the unsigned pix mapping: every answer must be
// one of the documented ones, with a JSON body, and nothing may panic.
func FuzzWebhookBody(f *testing.F) {
	wh, _, _ := shippedWebhook(f, 5*time.Second)
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
