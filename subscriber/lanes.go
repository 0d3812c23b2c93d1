package subscriber

import (
	"context"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
)

// delivery is one message pulled from the consumer, decoded once.
type delivery struct {
	msg        jetstream.Msg
	seq        uint64 // stream sequence; 0 if the metadata is unreadable
	redelivery bool   // the server delivered it before (NumDelivered > 1)
	ev         *event.Event
	structured []byte // the event's structured JSON (the body, in structured mode)
	decodeErr  error
}

// lanes hand out deliveries so that those of one entity (one lane key: the
// CloudEvents subject) are processed one at a time in the order they were
// pushed, while different entities go in parallel.
//
// A lane is "busy" from the moment it has work until it is empty again:
// while busy it is either in the ready list or held by exactly one worker,
// never both, so no two workers ever process the same entity, and a worker
// gives the lane back (finish) only after its delivery is settled (acked,
// or left for redelivery at shutdown). A lane is requeued at the back of
// the ready list after each delivery, so a busy entity cannot starve the
// others. Nothing here waits while holding mu except on cond, so it cannot
// deadlock; next returns false once closed, so workers end.
type lanes struct {
	mu     sync.Mutex
	cond   *sync.Cond
	byKey  map[string]*lane
	ready  []*lane
	held   map[*delivery]struct{} // pushed and not finished: kept in progress
	closed bool
}

type lane struct {
	key   string
	queue []*delivery // the head is the delivery being processed, if any
	busy  bool        // in the ready list or held by a worker
}

func newLanes() *lanes {
	l := &lanes{byKey: map[string]*lane{}, held: map[*delivery]struct{}{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// push appends d to the lane of key.
func (ls *lanes) push(key string, d *delivery) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.held[d] = struct{}{}
	l, ok := ls.byKey[key]
	if !ok {
		l = &lane{key: key}
		ls.byKey[key] = l
	}
	l.queue = append(l.queue, d)
	if !l.busy {
		l.busy = true
		ls.ready = append(ls.ready, l)
		ls.cond.Signal()
	}
}

// next blocks until a lane is ready and returns it with its first
// delivery, which the caller must give back with finish; false once closed.
func (ls *lanes) next() (*lane, *delivery, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for len(ls.ready) == 0 && !ls.closed {
		ls.cond.Wait()
	}
	if ls.closed {
		return nil, nil, false
	}
	l := ls.ready[0]
	ls.ready = ls.ready[1:]
	d := l.queue[0]
	return l, d, true
}

// finish settles d, the first delivery of l: the lane goes back to the
// ready list if it has more, and is dropped if not.
func (ls *lanes) finish(l *lane, d *delivery) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	delete(ls.held, d)
	l.queue = l.queue[1:]
	if len(l.queue) == 0 {
		l.busy = false
		delete(ls.byKey, l.key)
		return
	}
	ls.ready = append(ls.ready, l)
	ls.cond.Signal()
}

// close makes next return false: workers stop after their current
// delivery; what is still queued stays unacknowledged.
func (ls *lanes) close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.closed = true
	ls.cond.Broadcast()
}

// inProgress tells the server every held message is still being worked
// on, so that it does not redeliver one while this process has it.
func (ls *lanes) inProgress() {
	ls.mu.Lock()
	msgs := make([]jetstream.Msg, 0, len(ls.held))
	for d := range ls.held {
		msgs = append(msgs, d.msg)
	}
	ls.mu.Unlock()
	for _, m := range msgs {
		_ = m.InProgress() // best effort: a lost one costs a redelivery, which is checked
	}
}

// keyLocks make deliveries that share an idempotencykey (a duplicate
// stored upstream, possibly under another entity's lane) run one at a
// time, so the second sees the first's record. A worker holds at most one
// key and waits for a key only while holding none: no cycle, no deadlock.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (k *keyLocks) acquire(ctx context.Context, key string) (release func(), err error) {
	k.mu.Lock()
	for {
		ch, busy := k.m[key]
		if !busy {
			break
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		k.mu.Lock()
	}
	if k.m == nil {
		k.m = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	k.m[key] = ch
	k.mu.Unlock()
	return func() {
		k.mu.Lock()
		delete(k.m, key)
		k.mu.Unlock()
		close(ch)
	}, nil
}
