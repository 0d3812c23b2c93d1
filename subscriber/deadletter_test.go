package subscriber_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

const thingSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://schemas.test/things/thing/changed/v1.json",
  "type": "object",
  "required": ["entity_id", "n"],
  "properties": {"entity_id": {"type": "string"}, "n": {"type": "integer", "minimum": 0}}
}`

// Every message that cannot be handled ends in the subscriber's dead
// letters, byte for byte, with its reason, what was wrong and where it
// came from; the handler never sees an invalid one; a panic is an error
// like another; the entity's next event is handled after it.
func TestInvalidAndFailingEventsAreDeadLetteredWithReasons(t *testing.T) {
	_, js := startEvents(t)
	schemas := t.TempDir()
	file := filepath.Join(schemas, "schemas.test", "things", "thing", "changed", "v1.json")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(thingSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	const schemaURI = "https://schemas.test/things/thing/changed/v1.json"

	v4 := newEvent(1, 0)
	v4.ID = uuid.NewString() // a UUID v4: the profile wants v7
	badData := newEvent(2, 0)
	badData.Schema, badData.Data = schemaURI, map[string]any{"entity_id": badData.Entity, "n": -1}
	failing := newEvent(3, 0)
	failing.Data = map[string]any{"entity_id": failing.Entity, "n": 0, "fail": "always"}
	rejected := newEvent(4, 0)
	rejected.Data = map[string]any{"entity_id": rejected.Entity, "n": 0, "fail": "permanent"}
	panicking := newEvent(6, 0)
	panicking.Data = map[string]any{"entity_id": panicking.Entity, "n": 0, "fail": "panic"}
	good := newEvent(5, 0)
	good.Schema = schemaURI
	next := newEvent(3, 1) // the failing entity's next event

	type want struct {
		reason, errorHas string
		attempts         int
		body             []byte
		seq              uint64
	}
	notJSON := []byte("this is not a cloudevent")
	wants := []want{
		{reason: subscriber.ReasonNotCloudEvent, errorHas: "not a CloudEvent", body: notJSON,
			seq: publish(t, js, "event.test.things.thing.changed", notJSON, nats.Header{"Content-Type": {"application/cloudevents+json"}})},
		{reason: subscriber.ReasonInvalidEvent, errorHas: "id: " + strconv.Quote(v4.ID) + " is a UUID v4, want v7", body: v4.json(), seq: publishEvent(t, js, v4)},
		{reason: subscriber.ReasonSchema, errorHas: "/data/n: ", body: badData.json(), seq: publishEvent(t, js, badData)},
		{reason: subscriber.ReasonMaxDeliveries, errorHas: "cannot take it now", attempts: 3, body: failing.json(), seq: publishEvent(t, js, failing)},
		{reason: subscriber.ReasonRejected, errorHas: "permanent: not for us", attempts: 1, body: rejected.json(), seq: publishEvent(t, js, rejected)},
		{reason: subscriber.ReasonMaxDeliveries, errorHas: "handler panicked: boom", attempts: 3, body: panicking.json(), seq: publishEvent(t, js, panicking)},
	}
	publishEvent(t, js, good)
	publishEvent(t, js, next)

	var seen handled
	var c counters
	h := func(_ context.Context, e event.Event) error {
		var d struct{ Fail string }
		_ = e.DataAs(&d)
		switch d.Fail {
		case "always":
			return errors.New("cannot take it now")
		case "permanent":
			return subscriber.Permanent(errors.New("not for us"))
		case "panic":
			panic("boom")
		}
		seen.add(e)
		return nil
	}
	runSubscriber(t, js, subscriber.Config{Name: "dl", Concurrency: 2, MaxDeliver: 3, Schemas: schemas, Metrics: c.metrics(), Logger: discard()}, h)

	stream := subscriber.DeadLetterStream("dl")
	natstest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := len(seen.all()); n < 2 {
			return fmt.Errorf("handled %d of 2", n)
		}
		if n := len(natstest.StreamMessages(t, js, stream)); n < len(wants) {
			return fmt.Errorf("%d of %d dead letters", n, len(wants))
		}
		return nil
	})
	got := map[string]bool{}
	for _, e := range seen.all() {
		got[e.ID()] = true
	}
	if len(got) != 2 || !got[good.ID] || !got[next.ID] {
		t.Errorf("handled %v, want exactly %s and %s", got, good.ID, next.ID)
	}
	letters := natstest.StreamMessages(t, js, stream)
	if len(letters) != len(wants) {
		t.Fatalf("%d dead letters, want %d", len(letters), len(wants))
	}
	for i, w := range wants {
		t.Run(fmt.Sprintf("%s#%d", w.reason, i), func(t *testing.T) {
			for _, m := range letters {
				if m.Header.Get(subscriber.HeaderSequence) != strconv.FormatUint(w.seq, 10) {
					continue
				}
				if m.Subject != subscriber.DeadLetterSubject("dl", w.reason) || m.Header.Get(subscriber.HeaderReason) != w.reason {
					t.Errorf("subject %s, reason %q; want %s", m.Subject, m.Header.Get(subscriber.HeaderReason), subscriber.DeadLetterSubject("dl", w.reason))
				}
				if e := m.Header.Get(subscriber.HeaderError); !strings.Contains(e, w.errorHas) {
					t.Errorf("error %q does not say %q", e, w.errorHas)
				}
				if !bytes.Equal(m.Data, w.body) {
					t.Errorf("body %q, want the original %q", m.Data, w.body)
				}
				if a := m.Header.Get(subscriber.HeaderAttempts); a != strconv.Itoa(w.attempts) {
					t.Errorf("attempts %s, want %d", a, w.attempts)
				}
				if s := m.Header.Get(subscriber.HeaderStream); s != "EVENTS" {
					t.Errorf("stream %q, want EVENTS", s)
				}
				return
			}
			t.Errorf("no dead letter for sequence %d", w.seq)
		})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	wantInvalid := map[string]int{subscriber.ReasonNotCloudEvent: 1, subscriber.ReasonInvalidEvent: 1, subscriber.ReasonSchema: 1}
	wantDead := map[string]int{}
	for _, w := range wants {
		wantDead[w.reason]++
	}
	if fmt.Sprint(c.invalid) != fmt.Sprint(wantInvalid) || fmt.Sprint(c.deadLettered) != fmt.Sprint(wantDead) || c.retries != 4 {
		t.Errorf("metrics: invalid %v, dead letters %v, retries %d; want %v, %v, 4", c.invalid, c.deadLettered, c.retries, wantInvalid, wantDead)
	}
}
