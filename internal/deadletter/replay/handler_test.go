package replay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/transform"
)

// serve starts the handler over real HTTP, replaying with e's v2 mappings
// and the pipeline pipe returns.
func (e *env) serve(t *testing.T, pipe func() *pipeline.Runner) string {
	t.Helper()
	bodies, err := ingest.NewBodyBudget(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(HandlerConfig{Stream: e.stream, Bodies: bodies, Mappings: func() *transform.Set { return e.v2 },
		Pipeline: pipe, DeadLetters: func() *deadletter.Writer { return e.dead }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// call sends a request and decodes its JSON answer.
func call(t *testing.T, method, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d %q is not a JSON object", method, url, resp.StatusCode, buf.String())
	}
	return resp.StatusCode, out
}

// TestHandler lists dead letters redacted and replays them over HTTP, as
// the daemon mounts it (the daemon's TestDLQAPI covers the rest end to end).
func TestHandler(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, e.v1, customerCreated) // no_rule
	url := e.serve(t, func() *pipeline.Runner { return e.pipe })

	status, got := call(t, http.MethodGet, url+"/api/dlq?provider=shop", "", "")
	list, _ := got["dead_letters"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("GET /api/dlq: %d %v, want one dead letter", status, got)
	}
	if body, _ := list[0].(map[string]any)["body"].(string); !strings.Contains(body, `"email":"[redacted]"`) || strings.Contains(body, "ana@") {
		t.Errorf("listed body %s, want the e-mail redacted", body)
	}
	if status, got := call(t, http.MethodPost, url+"/api/dlq/replay", "text/plain", "{}"); status != http.StatusUnsupportedMediaType {
		t.Errorf("replay as text/plain: %d %v, want 415", status, got)
	}
	status, got = call(t, http.MethodPost, url+"/api/dlq/replay", "application/json", `{"provider": "shop"}`)
	if status != http.StatusOK || got["done"] != true || got["counts"].(map[string]any)["published"] != 1.0 {
		t.Fatalf("replay: %d %v, want one published and done", status, got)
	}
	if ls := e.list(t, deadletter.Filter{}); len(ls) != 0 {
		t.Errorf("%d dead letters left after the replay", len(ls))
	}
}

// TestHandlerNotReady: before the pipeline exists a replay is answered 503.
func TestHandlerNotReady(t *testing.T) {
	e := newEnv(t)
	url := e.serve(t, func() *pipeline.Runner { return nil })
	if status, got := call(t, http.MethodPost, url+"/api/dlq/replay", "application/json", "{}"); status != http.StatusServiceUnavailable ||
		got["type"] != "urn:bridge:problem:not-ready" {
		t.Errorf("replay while starting: %d %v, want 503 not-ready", status, got)
	}
}

func TestNewHandlerReportsEveryMissingPart(t *testing.T) {
	_, err := NewHandler(HandlerConfig{Timeout: -1})
	if err == nil {
		t.Fatal("NewHandler of nothing: no error")
	}
	for _, part := range []string{"stream", "bodies", "mappings", "pipeline", "dead letters", "timeout"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %s", err, part)
		}
	}
}
