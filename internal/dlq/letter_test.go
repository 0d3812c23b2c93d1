package dlq

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestDecodeRoundTrip writes a dead letter with publish.Publisher and reads
// it back: the same body bytes, headers and receive time, and the input the
// ingestor had.
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

	m, _ := e.v1.Mapping("shop")
	in, err := l.Input(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Body, body) || in.Provider != "shop" || in.Ingest != "webhook" || !in.ReceivedAt.Equal(at) {
		t.Errorf("input = %+v", in)
	}
	if hv := in.HeaderValues(); hv["X-Request-Id"] != "a" || hv["Content-Type"] != "application/json" || len(hv) != 3 {
		t.Errorf("input headers = %v, want the first value of each", hv)
	}
	if !headersEqual(in.Header, wantHeader) {
		t.Errorf("input header = %v, want %v", in.Header, wantHeader)
	}
	// The payload holds what the file's expressions read of the body.
	if p, ok := in.Payload.(map[string]any); !ok || p["id"] != "evt_9" || p["type"] != "refund.created" {
		t.Errorf("payload = %#v", in.Payload)
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

func TestInputNotReplayable(t *testing.T) {
	set := loadSet(t, "testdata/v1")
	m, _ := set.Mapping("shop")
	tests := []struct {
		name string
		l    Letter
	}{
		{"not JSON", Letter{Ingest: transform.IngestNATS, Body: []byte("not json")}},
		{"content type not accepted", Letter{Ingest: transform.IngestWebhook, Body: []byte("a=1"),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}},
		{"events protocol", Letter{Ingest: transform.IngestEvents, Body: []byte(`{}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.l.Input(m); err == nil || !errors.Is(err, ErrNotReplayable) {
				t.Errorf("Input error = %v, want ErrNotReplayable", err)
			}
		})
	}
}

func TestShow(t *testing.T) {
	set := loadSet(t, "testdata/v1")
	m, _ := set.Mapping("shop")
	l := Letter{Seq: 3, Provider: "shop", Reason: "no_rule", Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"data": {"object": {"email": "ana@example.com"}}, "items": [{"card": "4242"}]}`)}
	v := l.Show(m)
	if want := `{"data":{"object":{"email":"[redacted]"}},"items":[{"card":"[redacted]"}]}`; v.Body != want {
		t.Errorf("shown body = %s, want %s", v.Body, want)
	}
	if v.BodyBytes != len(l.Body) || v.BodyHidden != "" {
		t.Errorf("view = %+v", v)
	}
	v = l.Show(nil)
	if v.Body != "" || v.BodyHidden == "" {
		t.Errorf("without a mapping the body must be hidden, got %+v", v)
	}
}

func TestEventsLetterDecodesItsEnvelope(t *testing.T) {
	body := []byte(`{"name":"ledger:ledger:create","version":1,"id":"s","flowId":"f","payload":{"id":"x"},"identity":{},"auth":{"token":"[redacted]"},"metadata":{}}`)
	l := Letter{Provider: "guardia", Ingest: transform.IngestEvents, Body: body, Header: http.Header{}}
	in, err := l.Input(nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Envelope.Name != "ledger:ledger:create" || in.Envelope.FlowID != "f" || in.DeliveryID == "" ||
		in.Payload.(map[string]any)["id"] != "x" || in.Provider != "guardia" || string(in.Body) != string(body) {
		t.Fatalf("input %+v", in)
	}
}
