package publish

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// A caller handed the turn after another batch carried its message finds
// the queue empty: it sends nothing and gives the turn back, and the next
// caller is stored as usual.
func TestBatcherEmptyTurn(t *testing.T) {
	e := newEnv(t, nil)
	var requests atomic.Int64
	b := newBatcher(func(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
		requests.Add(1)
		return e.nc.RequestMsgWithContext(ctx, m)
	}, e.nc.PublishMsg)
	w := &waiter{msg: rawMsg("carried"), done: make(chan batchResult, 1), lead: make(chan struct{}, 1), leads: true}
	b.leaders = 1
	b.sendNext(w)
	if n := requests.Load(); n != 0 || b.leaders != 0 || len(w.done) != 0 {
		t.Fatalf("an empty turn: %d requests, %d leaders, %d answers; want none", n, b.leaders, len(w.done))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ack, err := b.Store(ctx, rawMsg("next")); err != nil || ack.Sequence != 1 {
		t.Fatalf("the next caller: %+v, %v", ack, err)
	}
}
