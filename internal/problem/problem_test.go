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
