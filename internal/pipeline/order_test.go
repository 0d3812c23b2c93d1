package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEntityOrderIsFIFOPerSubject(t *testing.T) {
	o := newEntityOrder()
	first := o.take([]string{"a"}, nil)[0]
	// Another subject is not blocked by "a".
	b := o.take([]string{"b"}, nil)[0]
	if err := o.wait(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	o.done(b)

	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i := range 20 {
		tk := o.take([]string{"a"}, nil)[0] // taken in order 0..19
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer o.done(tk)
			if err := o.wait(context.Background(), tk); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		}()
	}
	if err := o.wait(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	o.done(first)
	wg.Wait()
	for i, v := range got {
		if v != i {
			t.Fatalf("turns taken in order %v, want 0..19", got)
		}
	}
	if len(o.queues) != 0 {
		t.Errorf("%d subjects left behind", len(o.queues))
	}
}

func TestEntityOrderAbandonedTickets(t *testing.T) {
	o := newEntityOrder()
	held := o.take([]string{"a"}, nil)[0]
	waiting := o.take([]string{"a"}, nil)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := o.wait(ctx, waiting); err == nil {
		t.Fatal("got a held turn")
	}
	o.done(waiting) // given up before its turn
	last := o.take([]string{"a"}, nil)[0]
	o.done(held)
	if err := o.wait(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	o.done(last)
	if len(o.queues) != 0 {
		t.Errorf("%d subjects left behind", len(o.queues))
	}
}

// Two deliveries sharing two entities in opposite orders do not deadlock:
// both take their tickets at acceptance, in one global order.
func TestEntityOrderNoDeadlock(t *testing.T) {
	o := newEntityOrder()
	a := o.take([]string{"x", "y"}, nil)
	b := o.take([]string{"y", "x"}, nil)
	var wg sync.WaitGroup
	for _, ts := range [][]*ticket{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tk := range ts {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := o.wait(ctx, tk)
				cancel()
				if err != nil {
					t.Error("deadlock:", err)
				}
				o.done(tk)
			}
		}()
	}
	wg.Wait()
}

// TestEntityTurnHeldUntilAcknowledged: an entity's second event is not
// published while its first is still waiting for JetStream's
// acknowledgement, however long that takes, while another entity's event
// goes through meanwhile. The first event's publish is held at a gate in
// front of the real store: without the entity's turn, the second would be
// stored first.
func TestEntityTurnHeldUntilAcknowledged(t *testing.T) {
	f := setup(t, nil)
	first, second := f.input(t, `{"entity": "a", "seq": 1}`), f.input(t, `{"entity": "a", "seq": 2}`)
	g := newGatedStore(f.pub, keyOf(t, f.mapping, first))
	p := New(g, Options{})

	pa, pb := p.Begin(f.mapping, first), p.Begin(f.mapping, second) // accepted in this order
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	firstDone := make(chan Verdict, 1)
	go func() { firstDone <- pa.Finish(ctx) }()
	select {
	case <-g.held:
	case <-ctx.Done():
		t.Fatal("the first event never reached the store")
	}

	// Another entity is not held up by a's turn.
	if v := p.Handle(ctx, f.mapping, f.input(t, `{"entity": "b", "seq": 1}`)); v.Outcome != Published {
		t.Fatalf("entity b while a's first event is held: %v %v", v.Outcome, v.Err)
	}
	// a's second event waits for the first one's acknowledgement: given a
	// short deadline, it gives up without ever reaching the store.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	v := pb.Finish(short)
	cancelShort()
	secondKey := keyOf(t, f.mapping, second)
	if slices.Contains(g.arrivals(), secondKey) || v.Outcome != Failed || !strings.Contains(fmt.Sprint(v.Err), "turn") {
		t.Fatalf("a's second event while its first is unacknowledged: %v %v; it must wait for its turn, not be published", v.Outcome, v.Err)
	}

	close(g.open)
	if v := <-firstDone; v.Outcome != Published {
		t.Fatalf("a's first event: %v %v", v.Outcome, v.Err)
	}
	if v := p.Handle(ctx, f.mapping, second); v.Outcome != Published {
		t.Fatalf("a's second event, retried: %v %v", v.Outcome, v.Err)
	}
	var order []float64
	for _, ev := range f.stored(t) {
		if strings.HasSuffix(ev["source"].(string), "/a") {
			order = append(order, ev["data"].(map[string]any)["seq"].(float64))
		}
	}
	if !slices.Equal(order, []float64{1, 2}) {
		t.Fatalf("entity a's events stored in order %v, want [1 2]", order)
	}
}
