package subscriber_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// testEvent is an event as the bridge stores it, with a counter n per
// entity in its data so that a test can check the order.
type testEvent struct {
	ID, Key, Type, Subject, Schema string
	Entity                         string // the entity UUID
	N                              int
	Data                           map[string]any // default {"entity_id", "n"}
}

// newEvent is event number n of the entity number entity.
func newEvent(entity, n int) testEvent {
	ent := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "entity-%d", entity)).String()
	return testEvent{
		ID:      uuid.Must(uuid.NewV7()).String(),
		Key:     uuid.NewString(),
		Type:    "event.test.things.thing.changed",
		Subject: "thing/" + ent,
		Entity:  ent,
		N:       n,
	}
}

// duplicate is e stored again upstream: a new id, the same key, as the
// bridge stores a delivery retried past its duplicate window.
func (e testEvent) duplicate() testEvent {
	e.ID = uuid.Must(uuid.NewV7()).String()
	return e
}

func (e testEvent) json() []byte {
	data := e.Data
	if data == nil {
		data = map[string]any{"entity_id": e.Entity, "n": e.N}
	}
	m := map[string]any{
		"specversion":     "1.0",
		"id":              e.ID,
		"source":          "https://things.example.com/things/" + e.Entity,
		"type":            e.Type,
		"subject":         e.Subject,
		"time":            "2026-01-02T03:04:05Z",
		"datacontenttype": "application/json",
		"idempotencykey":  e.Key,
		"data":            data,
	}
	if e.Schema != "" {
		m["dataschema"] = e.Schema
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// publish stores body on subject in EVENTS with the bridge's headers.
func publish(t testing.TB, js jetstream.JetStream, subject string, body []byte, hdr nats.Header) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := &nats.Msg{Subject: subject, Header: hdr, Data: body}
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		t.Errorf("publish %s: %v", subject, err)
		return 0
	}
	return ack.Sequence
}

// publishEvent stores e as the bridge does: structured JSON, with
// Content-Type and ce-* headers.
func publishEvent(t testing.TB, js jetstream.JetStream, e testEvent) uint64 {
	t.Helper()
	hdr := nats.Header{}
	hdr.Set("Nats-Msg-Id", e.ID) // the bridge's is the key; past its window a copy is stored anyway
	hdr.Set("Content-Type", "application/cloudevents+json")
	hdr.Set("ce-id", e.ID)
	hdr.Set("ce-type", e.Type)
	hdr.Set("ce-source", "https://things.example.com/things/"+e.Entity)
	hdr.Set("ce-subject", e.Subject)
	return publish(t, js, e.Type, e.json(), hdr)
}

// startEvents starts a server with the EVENTS stream and returns its URL
// and a JetStream context.
func startEvents(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstreamEvents()); err != nil {
		t.Fatal(err)
	}
	return srv.URL(), js
}

// runSubscriber runs subscriber.Run in a goroutine until the test ends (or
// stop is called) and fails the test if it returns an error.
func runSubscriber(t *testing.T, js jetstream.JetStream, cfg subscriber.Config, h subscriber.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := subscriber.Run(ctx, js, cfg, h); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(subscriber.DefaultDrain + 30*time.Second):
				t.Error("Run did not return after its context ended and the drain")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// counters counts the Metrics hooks' calls.
type counters struct {
	mu                           sync.Mutex
	handled, duplicates, retries int
	invalid, deadLettered        map[string]int
}

func (c *counters) metrics() subscriber.Metrics {
	c.invalid, c.deadLettered = map[string]int{}, map[string]int{}
	return subscriber.Metrics{
		Handled:          func(string, time.Duration) { c.mu.Lock(); c.handled++; c.mu.Unlock() },
		DuplicateSkipped: func(string) { c.mu.Lock(); c.duplicates++; c.mu.Unlock() },
		Retry:            func(string, int) { c.mu.Lock(); c.retries++; c.mu.Unlock() },
		Invalid:          func(r string) { c.mu.Lock(); c.invalid[r]++; c.mu.Unlock() },
		DeadLettered:     func(r string) { c.mu.Lock(); c.deadLettered[r]++; c.mu.Unlock() },
	}
}

// jetstreamEvents is the bridge's events stream, as far as a subscriber
// sees it.
func jetstreamEvents() jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"}, Storage: jetstream.FileStorage}
}
