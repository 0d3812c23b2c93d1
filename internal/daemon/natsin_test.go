package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

func jsPublish(t *testing.T, js jetstream.JetStream, subject string, data []byte, h nats.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data, Header: h}); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

func TestNATSIngestStoresAProfileValidEvent(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, nil)
	jsPublish(t, b.js, "ingest.stripe", readExample(t, "stripe/charge.succeeded.json"), nil)
	// A suffix after the provider is allowed, and headers reach expressions.
	jsPublish(t, b.js, "ingest.github.webhooks", readExample(t, "github/push.json"),
		nats.Header{"X-GitHub-Event": {"push"}, "X-GitHub-Delivery": {"7d5b8a10-0000-4000-8000-00000000abcd"}})

	checkFor(t, 10*time.Second, func() error {
		if n := streamMsgs(t, b.js, "EVENTS"); n != 2 {
			return fmt.Errorf("EVENTS holds %d events, want 2", n)
		}
		return nil
	})
	for _, subject := range []string{"event.stripe.payments.charge.succeeded", "event.github.repository.ref.pushed"} {
		m := lastMsg(t, b.js, "EVENTS", subject)
		if err := transform.ValidateProfile(m.Data); err != nil {
			t.Errorf("%s: %v", subject, err)
		}
	}
	// Acknowledged: the work queue is empty.
	checkFor(t, 10*time.Second, func() error {
		if n := streamMsgs(t, b.js, "INGEST"); n != 0 {
			return fmt.Errorf("INGEST still holds %d messages", n)
		}
		return nil
	})
	// The same payload again (a producer's retry) is a duplicate.
	jsPublish(t, b.js, "ingest.stripe", readExample(t, "stripe/charge.succeeded.json"), nil)
	checkFor(t, 10*time.Second, func() error {
		if n := streamMsgs(t, b.js, "INGEST"); n != 0 {
			return fmt.Errorf("INGEST still holds %d messages", n)
		}
		return nil
	})
	if n := streamMsgs(t, b.js, "EVENTS"); n != 2 {
		t.Fatalf("EVENTS holds %d events after a retried payload, want 2", n)
	}
}

func TestNATSIngestDeadLetters(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, nil)
	jsPublish(t, b.js, "ingest.stripe", []byte(`{"id": "evt_1",`), nil)
	jsPublish(t, b.js, "ingest.paypal", []byte(`{}`), nil)
	jsPublish(t, b.js, "ingest.stripe", readExample(t, "stripe/customer.created.json"), nil)
	for _, subject := range []string{"dlq.stripe.not_json", "dlq.paypal.no_mapping", "dlq.stripe.no_rule"} {
		checkFor(t, 10*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			s, err := b.js.Stream(ctx, "EVENTS_DLQ")
			if err != nil {
				return err
			}
			m, err := s.GetLastMsgForSubject(ctx, subject)
			if err != nil {
				return fmt.Errorf("%s: %w", subject, err)
			}
			if m.Header.Get("Bridge-Ingest") != "nats" {
				return fmt.Errorf("%s: ingest header %q", subject, m.Header.Get("Bridge-Ingest"))
			}
			return nil
		})
	}
	checkFor(t, 10*time.Second, func() error {
		if n := streamMsgs(t, b.js, "INGEST"); n != 0 {
			return fmt.Errorf("INGEST still holds %d messages", n)
		}
		return nil
	})
}

func TestNATSRequestReply(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, nil)
	nc, _ := natstest.Connect(t, srv.URL())
	ask := func(subject string, body []byte) map[string]any {
		t.Helper()
		msg, err := nc.Request(subject, body, 5*time.Second)
		if err != nil {
			t.Fatalf("request %s: %v", subject, err)
		}
		var a map[string]any
		if err := json.Unmarshal(msg.Data, &a); err != nil {
			t.Fatalf("reply is not JSON: %v: %s", err, msg.Data)
		}
		if msg.Header.Get("Bridge-Status") != fmt.Sprint(a["status"]) {
			t.Errorf("Bridge-Status %q, body status %v", msg.Header.Get("Bridge-Status"), a["status"])
		}
		return a
	}
	body := readExample(t, "pix/pix.single.json")
	first := ask("bridge.ingest.pix", body)
	if first["status"] != 202.0 || len(first["events"].([]any)) != 1 {
		t.Fatalf("first: %v", first)
	}
	again := ask("bridge.ingest.pix", body)
	if again["status"] != 200.0 || again["duplicate"] != true {
		t.Fatalf("again: %v", again)
	}
	if a := ask("bridge.ingest.paypal", []byte(`{}`)); a["status"] != 404.0 || !strings.Contains(a["type"].(string), "unknown-provider") {
		t.Errorf("unknown provider: %v", a)
	}
	if a := ask("bridge.ingest.pix", []byte(`{`)); a["status"] != 400.0 {
		t.Errorf("not JSON: %v", a)
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 1 {
		t.Fatalf("EVENTS holds %d events, want 1", n)
	}
}

// TestNATSIngestNaksUntilStored: while JetStream refuses the events (the
// stream is full), the ingest message is Nak'ed and comes back; once there
// is room, it is stored once and acknowledged. (After IngestMaxDeliver
// attempts a payload is dead-lettered instead: see
// TestNATSIngestDeadLettersAfterMaxDeliveries.)
func TestNATSIngestNaksUntilStored(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) {
		c.Streams.MaxBytes = 8 << 10
		c.RequestTimeout = 300 * time.Millisecond
	})
	// Fill the events stream.
	for i := 0; ; i++ {
		r := post(t, b.base+"/webhooks/pix", pixDelivery(i), nil)
		if r.status == 503 {
			break
		}
		if i > 100 {
			t.Fatal("the stream never filled up")
		}
	}
	full := streamMsgs(t, b.js, "EVENTS")
	jsPublish(t, b.js, "ingest.pix", pixDelivery(5000), nil)
	// It is tried, refused and kept: still in INGEST after a few attempts.
	checkFor(t, 10*time.Second, func() error {
		c, err := b.js.Consumer(context.Background(), "INGEST", "bridge")
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumRedelivered < 1 {
			return fmt.Errorf("not redelivered yet (%d pending)", info.NumAckPending)
		}
		return nil
	})
	if n := streamMsgs(t, b.js, "INGEST"); n != 1 {
		t.Fatalf("INGEST holds %d messages while the events stream is full, want 1", n)
	}
	// Make room: the message comes back once more and is stored, once.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxBytes = -1
	if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, func() error {
		if n := streamMsgs(t, b.js, "INGEST"); n != 0 {
			return fmt.Errorf("INGEST still holds %d messages", n)
		}
		return nil
	})
	if n := streamMsgs(t, b.js, "EVENTS"); n != full+1 {
		t.Fatalf("EVENTS holds %d events, want %d", n, full+1)
	}
}

// TestNATSIngestKeepsEntityOrder: steps of many entities, interleaved in the
// INGEST stream, are stored by concurrent workers; each entity's events
// are in the stream's order.
func TestNATSIngestKeepsEntityOrder(t *testing.T) {
	dir := t.TempDir()
	mapping := `provider: seq
module: test
accepts: [nats]
idempotency_key: payload.entity + "/" + string(payload.seq)
rules:
  - name: step
    when: "true"
    entity_type: thing
    event_name: stepped
    entity_id: payload.entity
    source: '"https://seq.example.com/things/" + payload.entity'
    data:
      seq: payload.seq
`
	if err := os.WriteFile(filepath.Join(dir, "seq.yaml"), []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) { c.Mappings, c.IngestWorkers, c.IngestBatch = dir, 8, 16 })
	const entities, steps = 10, 20
	for s := range steps {
		for e := range entities {
			jsPublish(t, b.js, "ingest.seq", fmt.Appendf(nil, `{"entity": "e%d", "seq": %d}`, e, s), nil)
		}
	}
	checkFor(t, 20*time.Second, func() error {
		if n := streamMsgs(t, b.js, "EVENTS"); n != entities*steps {
			return fmt.Errorf("EVENTS holds %d events, want %d", n, entities*steps)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]float64{}
	for seq := uint64(1); seq <= entities*steps; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Subject string
			Data    struct{ Seq float64 }
		}
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[ev.Subject]; ok && ev.Data.Seq != prev+1 {
			t.Errorf("%s: step %v stored after step %v", ev.Subject, ev.Data.Seq, prev)
		}
		last[ev.Subject] = ev.Data.Seq
	}
}

// TestNATSDoorsDropCredentials: a payload published on NATS carries no
// credential into the mapping, the event or a dead letter: the file's
// scheme header (as the webhook door drops it) and every credential
// header (Authorization, Cookie, *token*, ...).
func TestNATSDoorsDropCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARTNER_KEY", "partner-secret-0123456789")
	mapping := `provider: part
module: orders
accepts: [webhook, nats]
webhook:
  signature:
    scheme: token
    secret: '${PARTNER_KEY}'
    header: X-Partner-Key
rules:
  - name: order.created
    when: payload.type == "order.created"
    entity_type: order
    event_name: created
    entity_id: payload.id
    source: '"https://partner.example/orders/" + payload.id'
    data:
      hdrs: headers
  - name: broken
    when: payload.type == "broken"
    entity_type: order
    event_name: broken
    entity_id: payload.missing.id
    source: '"https://partner.example/orders/x"'
    data:
      hdrs: headers
`
	if err := os.WriteFile(filepath.Join(dir, "part.yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.Mappings = dir })
	h := nats.Header{"X-Partner-Key": {"partner-secret-0123456789"}, "Authorization": {"Bearer leak"},
		"Cookie": {"s=leak"}, "X-Api-Token": {"leak"}, "X-Keep": {"kept"}}
	jsPublish(t, b.js, "ingest.part", []byte(`{"type":"order.created","id":"o1"}`), h)
	jsPublish(t, b.js, "ingest.part", []byte(`{"type":"broken","id":"o2"}`), h)
	checkFor(t, 10*time.Second, func() error {
		if n, d := streamMsgs(t, b.js, "EVENTS"), streamMsgs(t, b.js, "EVENTS_DLQ"); n != 1 || d != 1 {
			return fmt.Errorf("%d events and %d dead letters, want 1 and 1", n, d)
		}
		return nil
	})
	ev := lastMsg(t, b.js, "EVENTS", "event.part.orders.order.created")
	if !strings.Contains(string(ev.Data), `"X-Keep":"kept"`) {
		t.Fatalf("the event lacks the plain header: %s", ev.Data)
	}
	dl := lastMsg(t, b.js, "EVENTS_DLQ", "dlq.part.eval_error")
	for what, m := range map[string]*jetstream.RawStreamMsg{"event": ev, "dead letter": dl} {
		all := string(m.Data) + fmt.Sprint(m.Header)
		for _, secret := range []string{"partner-secret-0123456789", "leak"} {
			if strings.Contains(all, secret) {
				t.Errorf("the %s keeps a credential (%s): %s %v", what, secret, m.Data, m.Header)
			}
		}
	}
}
