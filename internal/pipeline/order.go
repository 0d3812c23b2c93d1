package pipeline

import (
	"context"
	"sync"
)

// entityOrder hands out per-entity turns in the order they are asked for:
// events of one entity (one CloudEvents subject) are published one at a
// time, in acceptance order, while different entities proceed in parallel.
// Holding a turn across the publish, until its acknowledgement, is what
// keeps a retried publish from being overtaken by the entity's next event.
type entityOrder struct {
	mu    sync.Mutex
	turns map[string]*turnQueue
}

type turnQueue struct {
	waiting []chan struct{} // FIFO; the head is handed the turn on release
}

func newEntityOrder() *entityOrder {
	return &entityOrder{turns: map[string]*turnQueue{}}
}

// acquire waits for subject's turn. It returns a release func, or ctx's
// error if the deadline passes first (the turn is then given up). queued,
// if not nil, runs at the moment the caller takes its place in the queue,
// which is what "acceptance order" means.
func (o *entityOrder) acquire(ctx context.Context, subject string, queued func()) (func(), error) {
	o.mu.Lock()
	if queued != nil {
		queued()
	}
	q, busy := o.turns[subject]
	if !busy {
		o.turns[subject] = &turnQueue{}
		o.mu.Unlock()
		return func() { o.release(subject) }, nil
	}
	ch := make(chan struct{})
	q.waiting = append(q.waiting, ch)
	o.mu.Unlock()

	select {
	case <-ch:
		return func() { o.release(subject) }, nil
	case <-ctx.Done():
		o.mu.Lock()
		defer o.mu.Unlock()
		for i, c := range q.waiting {
			if c == ch {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				return nil, ctx.Err()
			}
		}
		// The turn was handed over just as the deadline passed: pass it on.
		o.releaseLocked(subject)
		return nil, ctx.Err()
	}
}

func (o *entityOrder) release(subject string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.releaseLocked(subject)
}

func (o *entityOrder) releaseLocked(subject string) {
	q := o.turns[subject]
	if len(q.waiting) == 0 {
		delete(o.turns, subject)
		return
	}
	next := q.waiting[0]
	q.waiting = q.waiting[1:]
	close(next)
}
