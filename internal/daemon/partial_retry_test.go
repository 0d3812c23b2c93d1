package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// TestRetryStoringNewEventsIs202: a delivery of several events (`each`)
// some of which were stored before (as when JetStream refused the rest of
// an earlier attempt, answered 503) is answered 202, not 200 duplicate: it
// stored something new. The events stored before carry "duplicate": true
// and their original id, the others are stored now (docs/http-api.md,
// "A partly stored delivery"). The next retry, with every event stored, is
// the 200 duplicate.
func TestRetryStoringNewEventsIs202(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	body := readExample(t, "pix/pix.received.json") // three Pix: three events

	// The events the delivery makes, by dry run.
	var payload any
	if err := json.Unmarshal(body, &payload); err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(map[string]any{"provider": "pix", "payload": payload})
	if err != nil {
		t.Fatal(err)
	}
	r := post(t, b.admin+"/api/map", req, nil)
	var dry struct {
		Events []struct{ Type, IdempotencyKey string } `json:"events"`
	}
	if err := json.Unmarshal(r.raw, &dry); err != nil || r.status != http.StatusOK || len(dry.Events) != 3 {
		t.Fatalf("POST /api/map: %d %s (%v); want three events", r.status, r.raw, err)
	}

	// The first event is in the stream already, as an earlier attempt left it.
	const originalID = "01a21359-8410-740e-b1a3-0a386460ec54"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: dry.Events[0].Type, Data: []byte(`{}`),
		Header: nats.Header{jetstream.MsgIDHeader: {dry.Events[0].IdempotencyKey}, publish.HeaderCEID: {originalID}}}); err != nil {
		t.Fatal(err)
	}

	retry := post(t, b.base+"/webhooks/pix", body, nil)
	events, _ := retry.body["events"].([]any)
	if retry.status != http.StatusAccepted || retry.body["duplicate"] != nil || len(events) != 3 {
		t.Fatalf("retry storing two new events: %d %s; want 202, three events, not a duplicate", retry.status, retry.raw)
	}
	for i, e := range events {
		ev := e.(map[string]any)
		if ev["idempotencykey"] != dry.Events[i].IdempotencyKey {
			t.Errorf("event %d: key %v, want %s", i, ev["idempotencykey"], dry.Events[i].IdempotencyKey)
		}
		if stored := i == 0; (ev["duplicate"] == true) != stored || (ev["id"] == originalID) != stored {
			t.Errorf("event %d: %v; want duplicate with the original id only for the event stored before", i, ev)
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 3 {
		t.Fatalf("EVENTS holds %d events, want 3", n)
	}

	again := post(t, b.base+"/webhooks/pix", body, nil)
	if again.status != http.StatusOK || again.body["duplicate"] != true {
		t.Fatalf("retry with every event stored: %d %s; want 200 duplicate", again.status, again.raw)
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 3 {
		t.Fatalf("EVENTS holds %d events after the last retry, want 3", n)
	}
}
