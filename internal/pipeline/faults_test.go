package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestInFlightLimit: with every in-flight slot taken by a publish that
// waits for its acknowledgement, a delivery of another entity is Failed
// (503, Retry-After) once its deadline passes, without reaching the store:
// it is never queued without bound. Once the slot is free it is stored.
func TestInFlightLimit(t *testing.T) {
	f := setup(t, nil)
	held := f.input(t, `{"entity": "a", "seq": 1}`)
	g := newGatedStore(f.pub, keyOf(t, f.mapping, held))
	p := New(g, Options{MaxInFlight: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	heldDone := make(chan Verdict, 1)
	go func() { heldDone <- p.Handle(ctx, f.mapping, held) }()
	select {
	case <-g.held:
	case <-ctx.Done():
		t.Fatal("the first event never reached the store")
	}

	other := f.input(t, `{"entity": "b", "seq": 1}`)
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	v := p.Handle(short, f.mapping, other)
	cancelShort()
	if slices.Contains(g.arrivals(), keyOf(t, f.mapping, other)) || v.Outcome != Failed ||
		!strings.Contains(fmt.Sprint(v.Err), "too many publishes in flight") || v.RetryAfter <= 0 {
		t.Fatalf("a delivery with every in-flight slot taken: %v %v (retry after %s); want Failed, too many publishes in flight",
			v.Outcome, v.Err, v.RetryAfter)
	}

	close(g.open)
	if v := <-heldDone; v.Outcome != Published {
		t.Fatalf("the held delivery: %v %v", v.Outcome, v.Err)
	}
	if v := p.Handle(ctx, f.mapping, other); v.Outcome != Published {
		t.Fatalf("the refused delivery, retried with a free slot: %v %v", v.Outcome, v.Err)
	}
	if n := len(f.stored(t)); n != 2 {
		t.Fatalf("stream holds %d events, want 2", n)
	}
}

// TestDuplicateWhoseOriginalIsGone: a retry within the duplicate window is
// a duplicate, and its answer names the original event, read back from the
// stored message. When that read fails (here the message was deleted while
// JetStream still remembers its Nats-Msg-Id), the delivery is Failed: never
// answered as a duplicate without the original's id.
func TestDuplicateWhoseOriginalIsGone(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{}) // the stream's window alone: no idempotency record to answer from
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body := `{"entity": "a", "seq": 1}`
	first := p.Handle(ctx, f.mapping, f.input(t, body))
	if first.Outcome != Published {
		t.Fatalf("first: %v %v", first.Outcome, first.Err)
	}
	if again := p.Handle(ctx, f.mapping, f.input(t, body)); again.Outcome != Duplicate || again.Events[0].ID != first.Events[0].ID {
		t.Fatalf("retry: %v %+v, want a duplicate of %s", again.Outcome, again.Events, first.Events[0].ID)
	}

	s, err := f.js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, 1); err != nil {
		t.Fatal(err)
	}
	v := p.Handle(ctx, f.mapping, f.input(t, body))
	if v.Outcome != Failed || !errors.Is(v.Err, jetstream.ErrMsgNotFound) ||
		!strings.Contains(v.Err.Error(), "read the original of duplicate") || len(v.Events) != 0 {
		t.Fatalf("retry whose original is gone: %v %v %+v; want Failed, the original not found", v.Outcome, v.Err, v.Events)
	}
	if n := len(f.stored(t)); n != 0 {
		t.Fatalf("stream holds %d events, want 0 (the deleted one is not stored again)", n)
	}
}
