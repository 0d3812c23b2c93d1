package replay

import (
	"bytes"
	"errors"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestInputOfAStoredLetter writes a dead letter with deadletter.Writer,
// reads it back and turns it into the input the ingestor had.
func TestInputOfAStoredLetter(t *testing.T) {
	e := newEnv(t)
	body := []byte("{\n  \"id\": \"evt_9\", \"type\": \"refund.created\",\n  \"note\": \"ação <&>\"\n}\n")
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("BRT", -3*3600))
	_, err := e.dead.Store(natstest.Context(t, 5*time.Second), "key-1", deadletter.Letter{
		Provider: "shop", Reason: deadletter.ReasonNoRule, Error: "no rule matches", File: "testdata/v1/shop.yaml",
		Rule: "", Ingest: transform.IngestWebhook, ReceivedAt: at,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"},
			"x-lower-case": {"v"}, "Authorization": {"Bearer secret"}},
		Body: body,
	})
	if err != nil {
		t.Fatal(err)
	}
	ls := e.list(t, deadletter.Filter{})
	if len(ls) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(ls))
	}
	l := ls[0]
	wantHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"}, "X-Lower-Case": {"v"}}

	m, _ := e.v1.Mapping("shop")
	in, err := Input(l, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Body, body) || in.Provider != "shop" || in.Ingest != "webhook" || !in.ReceivedAt.Equal(at) {
		t.Errorf("input = %+v", in)
	}
	if hv := in.HeaderValues(); hv["X-Request-Id"] != "a" || hv["Content-Type"] != "application/json" || len(hv) != 3 {
		t.Errorf("input headers = %v, want the first value of each", hv)
	}
	if !maps.EqualFunc(in.Header, wantHeader, slices.Equal) {
		t.Errorf("input header = %v, want %v", in.Header, wantHeader)
	}
	// The payload holds what the file's expressions read of the body.
	if p, ok := in.Payload.(map[string]any); !ok || p["id"] != "evt_9" || p["type"] != "refund.created" {
		t.Errorf("payload = %#v", in.Payload)
	}
}

func TestInputNotReplayable(t *testing.T) {
	set := loadSet(t, "testdata/v1")
	m, _ := set.Mapping("shop")
	tests := []struct {
		name string
		l    deadletter.Letter
	}{
		{"not JSON", deadletter.Letter{Ingest: transform.IngestNATS, Body: []byte("not json")}},
		{"content type not accepted", deadletter.Letter{Ingest: transform.IngestWebhook, Body: []byte("a=1"),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}},
		{"events protocol", deadletter.Letter{Ingest: transform.IngestEvents, Body: []byte(`{}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Input(tc.l, m); err == nil || !errors.Is(err, ErrNotReplayable) {
				t.Errorf("Input error = %v, want ErrNotReplayable", err)
			}
		})
	}
}

func TestEventsLetterDecodesItsEnvelope(t *testing.T) {
	body := []byte(`{"name":"ledger:ledger:create","version":1,"id":"s","flowId":"f","payload":{"id":"x"},"identity":{},"auth":{"token":"[redacted]"},"metadata":{}}`)
	l := deadletter.Letter{Provider: "guardia", Ingest: transform.IngestEvents, Body: body, Header: http.Header{}}
	in, err := Input(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Envelope.Name != "ledger:ledger:create" || in.Envelope.FlowID != "f" || in.DeliveryID == "" ||
		in.Payload.(map[string]any)["id"] != "x" || in.Provider != "guardia" || string(in.Body) != string(body) {
		t.Fatalf("input %+v", in)
	}
}
