package daemon

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/tracing/tracingtest"
	"github.com/bridge-dev/bridge/internal/transform"
)

const (
	incomingTP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	incomingTS = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
)

// storedTrace is the trace context of a stored event: its extension
// attributes and its message's headers.
type storedTrace struct {
	ext, extState, hdr, hdrState string
}

func traceOf(t *testing.T, m *jetstream.RawStreamMsg) storedTrace {
	t.Helper()
	if err := transform.ValidateProfile(m.Data); err != nil {
		t.Errorf("stored event breaks the profile: %v", err)
	}
	var ev map[string]any
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		t.Fatal(err)
	}
	s := storedTrace{hdr: m.Header.Get("traceparent"), hdrState: m.Header.Get("tracestate")}
	s.ext, _ = ev["traceparent"].(string)
	s.extState, _ = ev["tracestate"].(string)
	return s
}

// TestTraceparentPassesThroughWithTracingOff: with no --otlp-endpoint a
// webhook's traceparent and tracestate reach the stored event and its
// message headers unchanged; an invalid traceparent is ignored.
func TestTraceparentPassesThroughWithTracingOff(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	tests := []struct {
		name, example, subject string
		header                 map[string]string
		want                   storedTrace
	}{
		{"valid", "charge.succeeded.json", "event.stripe.payments.charge.succeeded",
			map[string]string{"traceparent": incomingTP, "tracestate": incomingTS},
			storedTrace{incomingTP, incomingTS, incomingTP, incomingTS}},
		{"invalid: upper-case hex", "charge.refunded.json", "event.stripe.payments.charge.refunded",
			map[string]string{"traceparent": "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", "tracestate": incomingTS},
			storedTrace{}},
		{"invalid: all-zero trace id", "payment_intent.succeeded.json", "event.stripe.payments.payment_intent.succeeded",
			map[string]string{"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
			storedTrace{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := readExample(t, "stripe/"+tc.example)
			h := map[string]string{"Stripe-Signature": stripeSign(body, time.Now())}
			for k, v := range tc.header {
				h[k] = v
			}
			if r := post(t, b.base+"/webhooks/stripe", body, h); r.status != http.StatusAccepted {
				t.Fatalf("answer %d %s", r.status, r.raw)
			}
			if got := traceOf(t, lastMsg(t, b.js, "EVENTS", tc.subject)); got != tc.want {
				t.Errorf("stored trace context %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestNATSIngestCarriesTraceparent: a traceparent header on an INGEST
// message, and on a request/reply request, reaches the stored event.
func TestNATSIngestCarriesTraceparent(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, nil)
	jsPublish(t, b.js, "ingest.stripe", readExample(t, "stripe/charge.succeeded.json"),
		nats.Header{"traceparent": {incomingTP}, "tracestate": {incomingTS}})
	checkFor(t, 10*time.Second, func() error {
		if streamMsgs(t, b.js, "EVENTS") != 1 {
			return errors.New("the INGEST message is not stored yet")
		}
		return nil
	})
	want := storedTrace{incomingTP, incomingTS, incomingTP, incomingTS}
	if got := traceOf(t, lastMsg(t, b.js, "EVENTS", "event.stripe.payments.charge.succeeded")); got != want {
		t.Errorf("INGEST: stored trace context %+v, want %+v", got, want)
	}

	nc, _ := natstest.Connect(t, srv.URL())
	const reqTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
	req := &nats.Msg{Subject: "bridge.ingest.stripe", Data: readExample(t, "stripe/charge.refunded.json"),
		Header: nats.Header{"Traceparent": {reqTP}}}
	resp, err := nc.RequestMsg(req, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s := resp.Header.Get("Bridge-Status"); s != "202" {
		t.Fatalf("reply status %s: %s", s, resp.Data)
	}
	want = storedTrace{ext: reqTP, hdr: reqTP}
	if got := traceOf(t, lastMsg(t, b.js, "EVENTS", "event.stripe.payments.charge.refunded")); got != want {
		t.Errorf("request/reply: stored trace context %+v, want %+v", got, want)
	}
}

// TestEventsProtocolTraceparentFromMetadata: an envelope's
// metadata.traceparent is carried on the event, beside its flowid.
func TestEventsProtocolTraceparentFromMetadata(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	if _, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithFlowID("flow-7"),
		eventsprotocol.WithMetadata(map[string]any{"traceparent": incomingTP})); err != nil {
		t.Fatal(err)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.guardia.lke.ledger.created")
	if got, want := traceOf(t, m), (storedTrace{ext: incomingTP, hdr: incomingTP}); got != want {
		t.Errorf("stored trace context %+v, want %+v", got, want)
	}
	var ev map[string]any
	_ = json.Unmarshal(m.Data, &ev)
	if ev["flowid"] != "flow-7" {
		t.Errorf("flowid %v, want flow-7", ev["flowid"])
	}
}

// TestTracingExportsSpans: with --otlp-endpoint pointing at a stand-in
// collector, a webhook delivery's event carries the bridge's own span
// (same trace as the incoming traceparent, new parent id), and Shutdown
// posts the buffered spans to /v1/traces.
func TestTracingExportsSpans(t *testing.T) {
	col := tracingtest.NewCollector(t)
	b := startBridge(t, natstest.Start(t), func(c *config.Config) {
		c.Tracing.Endpoint, c.Tracing.Insecure = col.URL, true
	})
	body := readExample(t, "stripe/charge.succeeded.json")
	r := post(t, b.base+"/webhooks/stripe", body, map[string]string{
		"Stripe-Signature": stripeSign(body, time.Now()), "traceparent": incomingTP, "tracestate": incomingTS,
	})
	if r.status != http.StatusAccepted {
		t.Fatalf("answer %d %s", r.status, r.raw)
	}
	got := traceOf(t, lastMsg(t, b.js, "EVENTS", "event.stripe.payments.charge.succeeded"))
	traceID, parentID := incomingTP[3:35], incomingTP[36:52]
	if len(got.ext) != 55 || got.ext[3:35] != traceID || got.ext[36:52] == parentID || got.ext[53:] != "01" {
		t.Fatalf("event's traceparent %q, want trace %s, a new parent id, sampled", got.ext, traceID)
	}
	if got.hdr != got.ext || got.extState != incomingTS || got.hdrState != incomingTS {
		t.Errorf("stored trace context %+v: headers and extension differ, or the tracestate was lost", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	posts, sent := col.Received()
	if posts == 0 {
		t.Fatal("no spans posted to /v1/traces after Shutdown")
	}
	// OTLP protobuf holds ids as raw bytes and names as text: enough to
	// find them without decoding.
	tid, _ := hex.DecodeString(traceID)
	sid, _ := hex.DecodeString(got.ext[36:52])
	for what, want := range map[string][]byte{
		"the trace id": tid, "the delivery span's id": sid, "the delivery span": []byte("POST /webhooks/{provider}"),
		"its route": []byte("http.route"), "its status": []byte("http.response.status_code"),
		"the publish span": []byte("publish event.stripe.payments.charge.succeeded"), "the idempotency lookup": []byte("idempotency lookup"),
		"service.name bridge": []byte("bridge"),
	} {
		if !bytes.Contains(sent, want) {
			t.Errorf("the export lacks %s", what)
		}
	}
}
