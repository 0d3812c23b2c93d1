package subscriber_test

import (
	"context"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// When its context ends, Run stops pulling, waits for the running handler
// to finish, records and acknowledges its event, and returns nil with
// nothing of it left running.
func TestRunDrainsThenReturns(t *testing.T) {
	_, js := startEvents(t)
	e := newEvent(1, 0)
	publishEvent(t, js, e)

	started, release := make(chan struct{}), make(chan struct{})
	var handlerCtxErr error
	h := func(ctx context.Context, _ event.Event) error {
		close(started)
		<-release
		handlerCtxErr = ctx.Err()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() { returned <- subscriber.Run(ctx, js, subscriber.Config{Name: "drain", Logger: discard()}, h) }()
	<-started
	cancel()
	select {
	case err := <-returned:
		t.Fatalf("Run returned (%v) while its handler was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once its handler finished")
	}
	if handlerCtxErr != nil {
		t.Errorf("the handler's context ended during the drain: %v", handlerCtxErr)
	}
	if g := natstest.Goroutines("bridge/subscriber."); len(g) > 0 {
		t.Errorf("goroutines left after Run returned:\n%s", g)
	}
	cons, err := js.Consumer(context.Background(), "EVENTS", "drain")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.AckFloor.Stream != 1 {
		t.Errorf("ack floor %d with %d pending; want the drained event acknowledged", info.AckFloor.Stream, info.NumAckPending)
	}
	kv, err := js.KeyValue(context.Background(), subscriber.Bucket("drain"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(context.Background(), e.Key); err != nil {
		t.Errorf("key %s not recorded: %v", e.Key, err)
	}
}
