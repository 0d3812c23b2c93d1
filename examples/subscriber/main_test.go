package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// The example prints the shipped Stripe charge, stored as the bridge
// stores it, once, after validating its data against the shipped schema,
// and skips the copy stored again upstream.
func TestExamplePrintsAStoredEvent(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../stripe/charge.succeeded.event.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden []map[string]any
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	ev := golden[0]
	id := uuid.Must(uuid.NewV7()).String()
	ev["id"] = id
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	// Then a duplicate stored upstream (same key, new id), then the same
	// charge's next event (a new key): once that one is printed, the
	// duplicate before it was skipped.
	var lastID string
	for i := range 3 {
		msg := nats.NewMsg(ev["type"].(string))
		msg.Header.Set("Content-Type", "application/cloudevents+json")
		msg.Data = body
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
		ev["id"] = uuid.Must(uuid.NewV7()).String()
		if i == 1 {
			ev["idempotencykey"], lastID = uuid.NewString(), ev["id"].(string)
		}
		body, _ = json.Marshal(ev)
	}

	var out, logs natstest.Buffer
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--nats-url", srv.URL(), "--subject", "event.stripe.>", "--schemas", "../../schemas"},
			func(string) string { return "" }, &out, &logs)
	}()
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(out.String(), lastID) {
			return fmt.Errorf("event %s not printed yet; logs:\n%s", lastID, logs.String())
		}
		return nil
	})
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], id) || !strings.Contains(lines[1], lastID) {
		t.Errorf("printed %d events, want %s then %s (the duplicate between them skipped):\n%s", len(lines), id, lastID, out.String())
	}
}
