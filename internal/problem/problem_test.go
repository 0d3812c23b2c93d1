package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, httptest.NewRequest(http.MethodGet, "/api/x", nil), "busy", http.StatusServiceUnavailable, "later", map[string]any{"n": 1}, 1500*time.Millisecond)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" || rec.Header().Get("Content-Type") != "application/problem+json" ||
		body["type"] != "urn:bridge:problem:busy" || body["instance"] != "/api/x" || body["n"] != 1.0 || body["title"] != "Service Unavailable" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	JSON(rec, http.StatusOK, map[string]string{"a": "<b>"})
	if rec.Body.String() != "{\"a\":\"<b>\"}\n" {
		t.Fatalf("%q", rec.Body.String())
	}
}

// Respond writes the members in the RFC's order, then the extension
// members in key order, byte for byte as docs/http-api.md shows them.
func TestRespondBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		slug  string
		p     Problem
		retry time.Duration
		want  string
	}{
		{"the docs' bad signature", "/webhooks/stripe", "bad-signature",
			Problem{Status: http.StatusUnauthorized, Title: "Invalid signature", Detail: "Stripe-Signature: header is missing",
				Ext: map[string]any{"reason": "missing", "provider": "stripe"}}, 0,
			`{"type":"urn:bridge:problem:bad-signature","title":"Invalid signature","status":401,"detail":"Stripe-Signature: header is missing","instance":"/webhooks/stripe","provider":"stripe","reason":"missing"}`},
		{"the status's text as the title", "/webhooks/stripe", "method-not-allowed",
			Problem{Status: http.StatusMethodNotAllowed, Detail: "webhooks are delivered with POST, got GET", Ext: map[string]any{"provider": "stripe"}}, 0,
			`{"type":"urn:bridge:problem:method-not-allowed","title":"Method Not Allowed","status":405,"detail":"webhooks are delivered with POST, got GET","instance":"/webhooks/stripe","provider":"stripe"}`},
		{"HTML escaped, no detail", "/api/<x>", "not-ready", Problem{Status: http.StatusServiceUnavailable, Ext: map[string]any{"errors": []string{"a<b"}}}, 5 * time.Second,
			`{"type":"urn:bridge:problem:not-ready","title":"Service Unavailable","status":503,"instance":"/api/\u003cx\u003e","errors":["a\u003cb"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Respond(rec, httptest.NewRequest(http.MethodPost, tc.path, nil), tc.slug, tc.p, tc.retry)
			if got := rec.Body.String(); got != tc.want+"\n" {
				t.Errorf("body\n%s\nwant\n%s", got, tc.want)
			}
			if rec.Code != tc.p.Status || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("status %d, headers %v", rec.Code, rec.Header())
			}
			if want := map[bool]string{true: "5", false: ""}[tc.retry > 0]; rec.Header().Get("Retry-After") != want {
				t.Errorf("Retry-After %q, want %q", rec.Header().Get("Retry-After"), want)
			}
		})
	}
}

// A problem marshalled on its own (the NATS request/reply answer) has no
// instance unless one is set.
func TestMarshalWithoutInstance(t *testing.T) {
	b, err := json.Marshal(Problem{Type: TypeURI("too-many-requests"), Status: 503, Title: "Too many requests in flight", Detail: "retry later"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"urn:bridge:problem:too-many-requests","title":"Too many requests in flight","status":503,"detail":"retry later"}`; string(b) != want {
		t.Errorf("%s\nwant\n%s", b, want)
	}
}
