package pipeline

import (
	"context"
	"slices"
	"sync"
)

// entityOrder hands out per-entity turns in acceptance order: events of one
// entity (one CloudEvents subject) are published one at a time, in the order
// their tickets were taken, while different entities proceed in parallel.
// A turn is held across the publish, until its acknowledgement, so a
// retried publish is never overtaken by the entity's next event.
//
// A delivery takes all its tickets at once, at acceptance; since every
// delivery's tickets are queued in one global order, two deliveries that
// share entities wait for each other in the same order on every entity and
// cannot deadlock.
type entityOrder struct {
	mu     sync.Mutex
	queues map[string][]*ticket // per subject; the head holds the turn
}

// ticket is one place in one entity's queue. Each ticket taken must be
// given back with done, exactly once, whether or not it was used.
type ticket struct {
	subject string
	turn    chan struct{} // closed when the ticket reaches the head
}

func newEntityOrder() *entityOrder {
	return &entityOrder{queues: map[string][]*ticket{}}
}

// take queues one ticket per subject, in order, atomically with respect to
// other takers; accepted, if not nil, runs under the queue lock for each.
func (o *entityOrder) take(subjects []string, accepted func(i int)) []*ticket {
	o.mu.Lock()
	defer o.mu.Unlock()
	tickets := make([]*ticket, len(subjects))
	for i, s := range subjects {
		t := &ticket{subject: s, turn: make(chan struct{})}
		if len(o.queues[s]) == 0 {
			close(t.turn)
		}
		o.queues[s] = append(o.queues[s], t)
		tickets[i] = t
		if accepted != nil {
			accepted(i)
		}
	}
	return tickets
}

// wait blocks until t holds its entity's turn, or ctx ends.
func (o *entityOrder) wait(ctx context.Context, t *ticket) error {
	select {
	case <-t.turn:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done gives t back: the next ticket of its entity gets the turn if t held
// it; a ticket given back before its turn just leaves the queue.
func (o *entityOrder) done(t *ticket) {
	o.mu.Lock()
	defer o.mu.Unlock()
	q := o.queues[t.subject]
	i := slices.Index(q, t)
	if i < 0 {
		return
	}
	q = slices.Delete(q, i, i+1)
	if len(q) == 0 {
		delete(o.queues, t.subject)
		return
	}
	o.queues[t.subject] = q
	if i == 0 {
		close(q[0].turn)
	}
}
