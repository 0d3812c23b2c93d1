package publish

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// At most inFlight batches are on their way at once: while they are, the
// other callers wait in the queue, whatever their number. The requests to
// the real server are held at a gate until every caller's message is
// either sent or queued, then let through.
func TestBatcherBoundsBatchesInFlight(t *testing.T) {
	e := newEnv(t, nil)
	gate := make(chan struct{})
	var inFlight, most, sent atomic.Int64
	request := func(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
		sent.Add(1)
		n := inFlight.Add(1)
		for {
			if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-gate
		defer inFlight.Add(-1)
		return e.nc.RequestMsgWithContext(ctx, m)
	}
	publish := func(m *nats.Msg) error {
		sent.Add(1)
		return e.nc.PublishMsg(m)
	}
	b := newBatcher(request, publish)
	const callers = 8
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	store := func(i int) {
		wg.Go(func() {
			_, err := b.Store(context.Background(), rawMsg(fmt.Sprintf("m%d", i)))
			errs <- err
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		natstest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			if !cond() {
				return fmt.Errorf("waiting for %s", what)
			}
			return nil
		})
	}
	// The first two callers each take the turn and send their message:
	// two batches held at the gate.
	for i := range b.inFlight {
		store(i)
		waitFor(fmt.Sprint(i+1, " requests held"), func() bool { return inFlight.Load() == int64(i+1) })
	}
	for i := b.inFlight; i < callers; i++ {
		store(i)
	}
	waitFor("every message sent or queued", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return sent.Load()+int64(len(b.queue)) == callers
	})
	if got := most.Load(); got != int64(b.inFlight) {
		t.Errorf("%d batches on their way at once, want %d", got, b.inFlight)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := streamMsgs(t, e.js, "EVENTS"); n != callers {
		t.Errorf("the stream holds %d messages, want %d", n, callers)
	}
}
