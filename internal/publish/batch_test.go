package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawMsg is a message for the events stream with the given Nats-Msg-Id.
func rawMsg(id string) *nats.Msg {
	return &nats.Msg{Subject: "event.a.b.c.d", Header: nats.Header{HeaderMsgID: {id}}, Data: []byte(`{"id":"` + id + `"}`)}
}

// waiters wraps messages the way Store queues them.
func waiters(msgs ...*nats.Msg) []*waiter {
	out := make([]*waiter, len(msgs))
	for i, m := range msgs {
		out[i] = &waiter{msg: m}
	}
	return out
}

// TestAtomicBatchOnTheServer records what nats-server does with an atomic
// batch, which Batcher relies on: a batch is stored whole with consecutive
// sequences, its ids de-duplicate later publishes; a Nats-Msg-Id twice in a
// batch, or one already stored, makes
// the server refuse the whole batch (error 10201) and store none of it,
// rather than skip the copy as a single publish does; and a stream without
// allow_atomic refuses batches (10174).
func TestAtomicBatchOnTheServer(t *testing.T) {
	e := newEnv(t, nil)
	b := NewBatcher(e.nc)
	ctx := natstest.Context(t, 10*time.Second)

	acks, err := b.atomic(ctx, waiters(rawMsg("a"), rawMsg("b"), rawMsg("c")))
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	for i, want := range []uint64{1, 2, 3} {
		if acks[i] != (Ack{Stream: "EVENTS", Sequence: want}) {
			t.Errorf("ack %d = %+v, want sequence %d", i, acks[i], want)
		}
		if got := storedMsg(t, e.js, "EVENTS", want).Header.Get(HeaderMsgID); got != string(rune('a'+i)) {
			t.Errorf("sequence %d holds %q", want, got)
		}
	}

	refused := func(name string, code int, msgs ...*nats.Msg) {
		t.Helper()
		before := streamMsgs(t, e.js, "EVENTS")
		_, err := b.atomic(ctx, waiters(msgs...))
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || int(apiErr.ErrorCode) != code {
			t.Errorf("%s: error %v, want JetStream error %d", name, err, code)
		}
		if after := streamMsgs(t, e.js, "EVENTS"); after != before {
			t.Errorf("%s: the stream went from %d to %d messages, want none stored", name, before, after)
		}
	}
	// An id stored by a batch de-duplicates a later single publish.
	if ack, err := StoreOnce(ctx, e.nc.RequestMsgWithContext, rawMsg("b")); err != nil || !ack.Duplicate || ack.Sequence != 2 {
		t.Errorf("single publish of an id a batch stored: %+v, %v; want a duplicate of sequence 2", ack, err)
	}
	refused("an id twice in the batch", errCodeBatchDuplicate, rawMsg("d"), rawMsg("d"))
	refused("an id already stored", errCodeBatchDuplicate, rawMsg("e"), rawMsg("a"))

	// A stream created without allow_atomic.
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "PLAIN", Subjects: []string{"plain.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	p1 := &nats.Msg{Subject: "plain.x", Data: []byte("x")}
	p2 := &nats.Msg{Subject: "plain.y", Data: []byte("y")}
	_, err = b.atomic(ctx, waiters(p1, p2))
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || int(apiErr.ErrorCode) != errCodeAtomicDisabled {
		t.Errorf("batch into a stream without allow_atomic: %v, want JetStream error %d", err, errCodeAtomicDisabled)
	}
}

// TestBatcherDuplicates: when a batch is refused for a duplicate, Batcher
// stores its messages one by one, so each caller gets what a single
// publish would answer: the new ones stored, the copies acknowledged as
// duplicates of the stored message, nothing stored twice.
func TestBatcherDuplicates(t *testing.T) {
	e := newEnv(t, nil)
	b := NewBatcher(e.nc)
	ctx := natstest.Context(t, 10*time.Second)
	if _, err := b.Store(ctx, rawMsg("old")); err != nil {
		t.Fatal(err)
	}
	results := b.send(ctx, waiters(rawMsg("new-1"), rawMsg("old"), rawMsg("new-2"), rawMsg("new-1")))
	stored, dups := 0, 0
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("message %d: %v", i, r.err)
		case r.ack.Duplicate:
			dups++
		default:
			stored++
		}
	}
	if stored != 2 || dups != 2 {
		t.Errorf("%d stored and %d duplicates, want 2 and 2: %+v", stored, dups, results)
	}
	if !results[1].ack.Duplicate || results[1].ack.Sequence != 1 {
		t.Errorf("the copy of the stored message: %+v, want a duplicate of sequence 1", results[1].ack)
	}
	if n := streamMsgs(t, e.js, "EVENTS"); n != 3 {
		t.Errorf("the stream holds %d messages, want 3", n)
	}
	if batches, _ := b.BatchStats(); batches != 0 {
		t.Errorf("%d batches committed, want 0 (the batch was refused)", batches)
	}
}

// TestBatcherConcurrent stores from many goroutines at once, some of which
// give up (their context ends) while queued: every caller that did not give
// up gets its own acknowledgement, the sequences are distinct, the stream
// holds each message once, and concurrent messages did share batches.
func TestBatcherConcurrent(t *testing.T) {
	e := newEnv(t, nil)
	b := NewBatcher(e.nc)
	const workers, each = 32, 20
	var (
		mu       sync.Mutex
		seqs     = map[uint64]string{}
		gaveUp   int
		failures []error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if w%8 == 7 && i%2 == 1 {
					// Already over: Store gives up before or after sending.
					cancel()
				}
				ack, err := b.Store(ctx, rawMsg(id))
				cancel()
				mu.Lock()
				switch {
				case errors.Is(err, context.Canceled):
					gaveUp++
				case err != nil:
					failures = append(failures, fmt.Errorf("%s: %w", id, err))
				case ack.Duplicate:
					failures = append(failures, fmt.Errorf("%s: acknowledged as a duplicate", id))
				case seqs[ack.Sequence] != "":
					failures = append(failures, fmt.Errorf("%s and %s both at sequence %d", id, seqs[ack.Sequence], ack.Sequence))
				default:
					seqs[ack.Sequence] = id
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	for seq, id := range seqs {
		if got := storedMsg(t, e.js, "EVENTS", seq).Header.Get(HeaderMsgID); got != id {
			t.Errorf("sequence %d holds %q, acknowledged for %q", seq, got, id)
		}
	}
	if n := streamMsgs(t, e.js, "EVENTS"); n != uint64(len(seqs)) {
		t.Errorf("the stream holds %d messages for %d acknowledged (%d gave up before sending)", n, len(seqs), gaveUp)
	}
	batches, batched := b.BatchStats()
	t.Logf("%d stored, %d gave up; %d batches held %d of them", len(seqs), gaveUp, batches, batched)
	if batches == 0 {
		t.Error("no batch of two or more: concurrent messages did not share a sync")
	}
}

// TestPublisherNoBatch: NoBatch publishes each event with its own request.
func TestPublisherNoBatch(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.NoBatch = true })
	ctx := natstest.Context(t, 10*time.Second)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if _, err := e.pub.Publish(ctx, event("event.a.b.c.d", fmt.Sprint("k", i), "ce", []byte("{}"))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if batches, _ := e.pub.BatchStats(); e.pub.batch != nil || batches != 0 {
		t.Errorf("NoBatch publisher has a Batcher (%d batches)", batches)
	}
	if n := streamMsgs(t, e.js, "EVENTS"); n != 16 {
		t.Errorf("the stream holds %d messages, want 16", n)
	}
}

// TestBatcherWithoutAllowAtomic: a batch into a stream that refuses atomic
// batches is stored one by one, and the Batcher stops batching.
func TestBatcherWithoutAllowAtomic(t *testing.T) {
	e := newEnv(t, nil)
	ctx := natstest.Context(t, 10*time.Second)
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "PLAIN", Subjects: []string{"plain.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	b := NewBatcher(e.nc)
	results := b.send(ctx, waiters(&nats.Msg{Subject: "plain.x", Data: []byte("x")}, &nats.Msg{Subject: "plain.y", Data: []byte("y")}))
	for i, r := range results {
		if r.err != nil || r.ack.Stream != "PLAIN" || r.ack.Duplicate {
			t.Errorf("message %d: %+v, %v", i, r.ack, r.err)
		}
	}
	if n := streamMsgs(t, e.js, "PLAIN"); n != 2 || !b.off.Load() {
		t.Errorf("PLAIN holds %d messages, batching off %v; want 2, true", n, b.off.Load())
	}
	if _, err := b.Store(ctx, &nats.Msg{Subject: "plain.z", Data: []byte("z")}); err != nil {
		t.Errorf("Store once batching is off: %v", err)
	}
}
