package deadletter

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestDecodeRoundTrip writes a dead letter with publish.Publisher and reads
// it back: the same body bytes, headers and receive time (the input the
// ingestor had is TestInputOfAStoredLetter, in replay).
func TestDecodeRoundTrip(t *testing.T) {
	e := newEnv(t)
	body := []byte("{\n  \"id\": \"evt_9\", \"type\": \"refund.created\",\n  \"note\": \"ação <&>\"\n}\n")
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("BRT", -3*3600))
	_, err := e.pub.DeadLetter(ctxFor(t, 5*time.Second), publish.DeadLetter{
		Provider: "shop", Reason: transform.ReasonNoRule, Error: "no rule matches", File: "testdata/v1/shop.yaml",
		Rule: "", Ingest: transform.IngestWebhook, ReceivedAt: at, MsgID: "key-1:no_rule",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"},
			"x-lower-case": {"v"}, "Authorization": {"Bearer secret"}},
		Body: body,
	})
	if err != nil {
		t.Fatal(err)
	}
	ls := e.list(t, Filter{})
	if len(ls) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(ls))
	}
	l := ls[0]
	if !bytes.Equal(l.Body, body) {
		t.Errorf("body = %q, want %q", l.Body, body)
	}
	if !l.ReceivedAt.Equal(at) {
		t.Errorf("received at %v, want %v", l.ReceivedAt, at)
	}
	if l.Seq != 1 || l.Subject != "dlq.shop.no_rule" || l.Provider != "shop" || l.Reason != "no_rule" ||
		l.Error != "no rule matches" || l.File != "testdata/v1/shop.yaml" || l.Ingest != "webhook" || l.MsgID != "key-1:no_rule" {
		t.Errorf("letter = %+v", l)
	}
	wantHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"}, "X-Lower-Case": {"v"}}
	if !headersEqual(l.Header, wantHeader) {
		t.Errorf("headers = %v, want %v", l.Header, wantHeader)
	}

}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestShow(t *testing.T) {
	redact := []string{"data.object.email", "items[*].card"} // testdata/v1/shop.yaml's
	l := Letter{Seq: 3, Provider: "shop", Reason: "no_rule", Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"data": {"object": {"email": "ana@example.com"}}, "items": [{"card": "4242"}]}`)}
	v := l.Show(redact, true)
	if want := `{"data":{"object":{"email":"[redacted]"}},"items":[{"card":"[redacted]"}]}`; v.Body != want {
		t.Errorf("shown body = %s, want %s", v.Body, want)
	}
	if v.BodyBytes != len(l.Body) || v.BodyHidden != "" {
		t.Errorf("view = %+v", v)
	}
	v = l.Show(nil, false)
	if v.Body != "" || v.BodyHidden == "" {
		t.Errorf("without a mapping the body must be hidden, got %+v", v)
	}
}
