package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestStopRestartKeepsPortAndData(t *testing.T) {
	s := Start(t)
	url := s.URL()
	nc, js := Connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.1", []byte("one")); err != nil {
		t.Fatal(err)
	}

	s.Stop(t)
	waitFor(t, func() bool { return nc.Status() != nats.CONNECTED })
	s.Stop(t) // a no-op
	if _, err := js.Publish(ctx, "t.2", []byte("two")); err == nil {
		t.Fatal("publish while stopped succeeded")
	}

	s.Restart(t)
	if s.URL() != url {
		t.Fatalf("URL changed across restart: %s -> %s", url, s.URL())
	}
	waitFor(t, nc.IsConnected)
	stream, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	got, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("message after restart: %v", err)
	}
	if string(got.Data) != "one" {
		t.Fatalf("message after restart = %q, want %q", got.Data, "one")
	}
	if stream.CachedInfo().State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", stream.CachedInfo().State.Msgs)
	}
}

// waitFor polls cond every 10ms for up to 5s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
