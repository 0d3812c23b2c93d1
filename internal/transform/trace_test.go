package transform

import (
	"testing"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// TestEventsCarryTheTraceContext: the input's trace context becomes the
// CloudEvents distributed-tracing extension of every event, unchanged, and
// the events stay profile-valid; without one, no extension is written.
func TestEventsCarryTheTraceContext(t *testing.T) {
	const (
		tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		ts = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
	)
	m := loadTestdata(t, "shop.yaml")
	tests := []struct {
		name           string
		body           string
		parent, state  string
		events         int
		wantTP, wantTS any // nil: absent
	}{
		{"one event", `{"kind":"order.paid","delivery_id":"d-1","created":1700000000,"order":{"id":"o-1","total":"1.00","currency":"brl","email":"a@b.c","lines":[]}}`,
			tp, ts, 1, tp, ts},
		{"each event of a list", `{"kind":"order.shipped","delivery_id":"d-2","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":2,"at":"2026-01-02T03:04:05Z"}]}`,
			tp, "", 2, tp, nil},
		{"none", `{"kind":"order.paid","delivery_id":"d-3","created":1700000000,"order":{"id":"o-3","total":"1.00","currency":"brl","email":"a@b.c","lines":[]}}`,
			"", "", 1, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload, err := jsonx.Decode([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			res := m.Apply(Input{Provider: m.Provider, Ingest: IngestWebhook, Body: []byte(tc.body), Payload: payload,
				ReceivedAt: received, TraceParent: tc.parent, TraceState: tc.state})
			if res.Failure != nil || len(res.Events) != tc.events {
				t.Fatalf("Apply = %d events, failure %v; want %d events", len(res.Events), res.Failure, tc.events)
			}
			for _, ev := range res.Events {
				for _, c := range CheckProfile(ev.JSON) {
					if !c.OK {
						t.Errorf("profile rule %s: %s", c.Rule, c.Error)
					}
				}
				got := decodeEvent(t, ev.JSON)
				if got[ExtTraceParent] != tc.wantTP || got[ExtTraceState] != tc.wantTS {
					t.Errorf("event's traceparent %v, tracestate %v; want %v, %v", got[ExtTraceParent], got[ExtTraceState], tc.wantTP, tc.wantTS)
				}
				if ev.TraceParent != tc.parent || ev.TraceState != tc.state {
					t.Errorf("Event.TraceParent %q, TraceState %q; want the input's", ev.TraceParent, ev.TraceState)
				}
			}
		})
	}
}
