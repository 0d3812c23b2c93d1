package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// shopFailing maps orders whose total must be a number: a total that is
// not fails the rule (eval_error) and is dead-lettered, under the
// delivery key payload.id whatever the rest of the body says.
const shopFailing = `provider: shop
module: test
accepts: [webhook, nats, events]
webhook: {signature: {scheme: none}}
idempotency_key: payload.id
rules:
  - name: paid
    when: payload.kind == "paid"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
    data:
      total: int(payload.total)
`

// TestDeadLetterKeepsEveryBody is the hostile run of issue 15, item 6: many
// bodies under one delivery key and one reason were answered
// dead_lettered while only the first was stored. Each distinct body is a
// dead letter of its own now, on every ingest path, and the same body
// again is one dead letter, answered as a duplicate.
func TestDeadLetterKeepsEveryBody(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(shopFailing), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.Mappings = dir })
	body := func(i int) []byte {
		return fmt.Appendf(nil, `{"id":"ord_1","kind":"paid","total":"not-a-number-%d"}`, i)
	}

	// Webhooks: N distinct bodies, one key, one reason -> N dead letters.
	const n = 250 // the hostile run: 250 answers, 113 dead letters stored
	for i := range n {
		r := post(t, b.base+"/webhooks/shop", body(i), nil)
		if r.status != 202 || r.body["dead_lettered"] != true || r.body["reason"] != "eval_error" || r.body["duplicate"] != nil {
			t.Fatalf("body %d: %d %s", i, r.status, r.raw)
		}
	}
	if got := streamMsgs(t, b.js, "EVENTS_DLQ"); got != n {
		t.Fatalf("%d dead letters stored for %d distinct bodies", got, n)
	}
	// The same body again: one dead letter, answered as a duplicate.
	for range 3 {
		r := post(t, b.base+"/webhooks/shop", body(7), nil)
		if r.status != 202 || r.body["dead_lettered"] != true || r.body["duplicate"] != true {
			t.Fatalf("retried body: %d %s", r.status, r.raw)
		}
	}
	if got := streamMsgs(t, b.js, "EVENTS_DLQ"); got != n {
		t.Fatalf("%d dead letters after retries, want %d", got, n)
	}
	// Every stored body is one that was answered.
	seen := map[string]bool{}
	for i := range n {
		seen[string(body(i))] = true
	}
	for seq := uint64(1); seq <= n; seq++ {
		m := getMsg(t, b, seq)
		if !seen[string(m)] {
			t.Errorf("dead letter %d holds %s, not a body that was posted", seq, m)
		}
		delete(seen, string(m))
	}

	// Events protocol: the same envelope twice is one dead letter, the
	// second answered with duplicate; another payload is another.
	var order map[string]any
	_ = json.Unmarshal(body(1000), &order)
	opts := []eventsprotocol.SendOption{eventsprotocol.WithID("sess-1"), eventsprotocol.WithFlowID("flow-1")}
	for i, wantDup := range []bool{false, true} {
		_, err := send(t, b, "/events/", "shop:order:pay", order, opts...)
		var br *eventsprotocol.BadRequestError
		if !errors.As(err, &br) || br.Code != eventsprotocol.CodeEventRejected || br.Parameters["reason"] != "eval_error" ||
			(br.Parameters["duplicate"] == true) != wantDup {
			t.Fatalf("envelope %d: %v (%+v)", i, err, br)
		}
	}
	order["total"] = "other"
	if _, err := send(t, b, "/events/", "shop:order:pay", order, opts...); err == nil {
		t.Fatal("a failing envelope was answered as stored")
	}
	if got := streamMsgs(t, b.js, "EVENTS_DLQ"); got != n+2 {
		t.Fatalf("%d dead letters after the envelopes, want %d", got, n+2)
	}

	// NATS: the same unparseable body published twice is one dead letter
	// (a redelivery, or the same message again); another body is another.
	for _, data := range []string{"not json", "not json", "not json either"} {
		if _, err := b.js.Publish(ctxFor(t), "ingest.shop", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	checkFor(t, 10*time.Second, func() error {
		if got := streamMsgs(t, b.js, "INGEST"); got != 0 {
			return fmt.Errorf("%d ingest messages left", got)
		}
		return nil
	})
	if got := streamMsgs(t, b.js, "EVENTS_DLQ"); got != n+4 {
		t.Fatalf("%d dead letters after the NATS payloads, want %d", got, n+4)
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// getMsg returns the body of the dead letter at seq.
func getMsg(t *testing.T, b *bridge, seq uint64) []byte {
	t.Helper()
	s, err := b.js.Stream(ctxFor(t), "EVENTS_DLQ")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctxFor(t), seq)
	if err != nil {
		t.Fatalf("dead letter %d: %v", seq, err)
	}
	return m.Data
}
