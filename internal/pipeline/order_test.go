package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestEntityOrderIsFIFOPerSubject(t *testing.T) {
	o := newEntityOrder()
	release, err := o.acquire(context.Background(), "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another subject is not blocked by "a".
	rb, err := o.acquire(context.Background(), "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	rb()

	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := o.acquire(context.Background(), "a", nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
			r()
		}()
		// Wait until goroutine i is queued before starting i+1.
		waitQueued(t, o, "a", i+1)
	}
	release()
	wg.Wait()
	for i, v := range got {
		if v != i {
			t.Fatalf("turns taken in order %v, want 0..19", got)
		}
	}
	if len(o.turns) != 0 {
		t.Errorf("%d subjects left behind", len(o.turns))
	}
}

func TestEntityOrderGivesUpOnDeadline(t *testing.T) {
	o := newEntityOrder()
	release, _ := o.acquire(context.Background(), "a", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := o.acquire(ctx, "a", nil); err == nil {
		t.Fatal("acquired a held turn")
	}
	release()
	r, err := o.acquire(context.Background(), "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	r()
	if len(o.turns) != 0 {
		t.Errorf("%d subjects left behind", len(o.turns))
	}
}

func waitQueued(t *testing.T, o *entityOrder, subject string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		o.mu.Lock()
		q := o.turns[subject]
		queued := q != nil && len(q.waiting) >= n
		o.mu.Unlock()
		if queued {
			return
		}
	}
	t.Fatalf("%d waiters never queued", n)
}
