package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestAwaitDuplicateWindow: once it returns, a copy of a message stored
// before it is stored again (its Nats-Msg-Id forgotten), and the stream
// holds no probe.
func TestAwaitDuplicateWindow(t *testing.T) {
	srv := Start(t)
	_, js := Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"},
		Duplicates: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	msg := func() *nats.Msg {
		return &nats.Msg{Subject: "event.x", Header: nats.Header{jetstream.MsgIDHeader: {"k1"}}, Data: []byte("e")}
	}
	if _, err := js.PublishMsg(ctx, msg()); err != nil {
		t.Fatal(err)
	}
	if a, err := js.PublishMsg(ctx, msg()); err != nil || !a.Duplicate {
		t.Fatalf("copy within the window: %+v %v, want a duplicate", a, err)
	}
	AwaitDuplicateWindow(t, js, "EVENTS", ProbeSubject, 10*time.Second)
	if a, err := js.PublishMsg(ctx, msg()); err != nil || a.Duplicate {
		t.Fatalf("copy after AwaitDuplicateWindow: %+v %v, want it stored", a, err)
	}
	msgs := StreamMessages(t, js, "EVENTS")
	if len(msgs) != 2 || msgs[0].Subject != "event.x" || msgs[1].Subject != "event.x" {
		t.Fatalf("stream holds %d messages, want the two copies alone", len(msgs))
	}
}
