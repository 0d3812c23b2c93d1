package tracing

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TestRequestSpanFollowsHTTPConventions: a delivery that came over HTTP is
// a server span named "{method} {route}" with the HTTP semantic
// conventions' attributes; only a 5xx marks it an error.
func TestRequestSpanFollowsHTTPConventions(t *testing.T) {
	for _, tc := range []struct {
		status  int
		err     error
		failed  bool
		errType string
	}{
		{202, nil, false, ""},
		{401, errors.New("signature"), false, ""},
		{503, errors.New("jetstream down"), true, "503"},
	} {
		tr, rec := recording(t, 1)
		r := httptest.NewRequest("POST", "http://bridge.example:8443/webhooks/stripe?x=1", strings.NewReader("{}"))
		r.Header.Set("User-Agent", "Stripe/1.0")
		r.RemoteAddr = "203.0.113.9:51000"
		_, span, out := tr.StartRequest(r, "/webhooks/{provider}", "webhook", "stripe", Context{validTP, validTS})
		if out.IsZero() {
			t.Fatal("no trace context for the events")
		}
		span.FinishRequest(tc.status, Result{Outcome: "published", Err: tc.err})
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		s := spans[0]
		if s.Name() != "POST /webhooks/{provider}" || s.SpanKind() != trace.SpanKindServer {
			t.Errorf("span %q kind %v, want POST /webhooks/{provider}, server", s.Name(), s.SpanKind())
		}
		got := attrs(s)
		want := map[string]string{
			"http.request.method": "POST", "http.route": "/webhooks/{provider}", "url.path": "/webhooks/stripe",
			"url.scheme": "http", "server.address": "bridge.example", "server.port": "8443",
			"client.address": "203.0.113.9", "user_agent.original": "Stripe/1.0", "network.protocol.version": "1.1",
			"bridge.ingest": "webhook", "bridge.provider": "stripe", "bridge.outcome": "published",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%d: %s = %q, want %q", tc.status, k, got[k], v)
			}
		}
		if got["http.response.status_code"] != strconv.Itoa(tc.status) {
			t.Errorf("%d: http.response.status_code = %q", tc.status, got["http.response.status_code"])
		}
		if failed := s.Status().Code == codes.Error; failed != tc.failed || got["error.type"] != tc.errType {
			t.Errorf("%d: error status %v, error.type %q; want %v, %q", tc.status, failed, got["error.type"], tc.failed, tc.errType)
		}
		if s.Parent().TraceID().String() != strings.Split(validTP, "-")[1] {
			t.Errorf("%d: the span does not continue the incoming trace", tc.status)
		}
	}
}
