package subscriber_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// A run that stops while a handler is still running leaves that event
// for the next run, which gets it first; an event the first run already
// dead-lettered, delivered again by the rewind to the ack floor, is
// neither handled nor dead-lettered again.
func TestRestartResumesUnfinishedAndSkipsDeadLetters(t *testing.T) {
	_, js := startEvents(t)
	slow, bad := newEvent(1, 0), newEvent(2, 0)
	publishEvent(t, js, slow) // first in the stream: keeps the ack floor below bad
	publishEvent(t, js, bad)

	started := make(chan struct{}, 1)
	first := func(ctx context.Context, e event.Event) error {
		if e.ID() == bad.ID {
			return errors.New("broken")
		}
		started <- struct{}{}
		<-ctx.Done() // until the drain gives up on it
		return ctx.Err()
	}
	cfg := subscriber.Config{Name: "restart", MaxDeliver: 1, Drain: 50 * time.Millisecond, Logger: discard()}
	stop := runSubscriber(t, js, cfg, first)
	<-started
	letters := subscriber.DeadLetterStream("restart")
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := len(natstest.StreamMessages(t, js, letters)); n != 1 {
			return fmt.Errorf("%d dead letters, want 1", n)
		}
		return nil
	})
	stop()

	var seen handled
	var c counters
	cfg.Metrics = c.metrics()
	runSubscriber(t, js, cfg, func(_ context.Context, e event.Event) error { seen.add(e); return nil })
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := len(seen.all()); n != 1 {
			return fmt.Errorf("handled %d, want 1", n)
		}
		return nil
	})
	if got := seen.all()[0].ID(); got != slow.ID {
		t.Errorf("second run handled %s, want %s (the unfinished one)", got, slow.ID)
	}
	// bad comes again after slow; once slow is acknowledged, nothing is
	// left pending only if bad was settled too.
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		cons, err := js.Consumer(context.Background(), "EVENTS", "restart")
		if err != nil {
			return err
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumAckPending != 0 || info.AckFloor.Stream != 2 {
			return fmt.Errorf("ack floor %d, %d pending", info.AckFloor.Stream, info.NumAckPending)
		}
		return nil
	})
	if n := len(natstest.StreamMessages(t, js, letters)); n != 1 {
		t.Errorf("%d dead letters after the restart, want still 1", n)
	}
	if len(seen.all()) != 1 {
		t.Errorf("the handler got the dead-lettered event again")
	}
}
