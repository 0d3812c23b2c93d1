package pipeline

import (
	"context"
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
