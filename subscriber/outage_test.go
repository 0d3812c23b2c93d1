package subscriber_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// JetStream stops mid-stream and comes back: the subscriber notices
// (it logs the failing check, record or ack), waits, and goes on; every key
// is handled exactly once and each entity in order, with no restart of
// the subscriber.
func TestJetStreamOutageMidStream(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstreamEvents()); err != nil {
		t.Fatal(err)
	}
	var originals []testEvent
	for n := range 10 {
		for ent := range 12 {
			e := newEvent(ent, n)
			publishEvent(t, js, e)
			originals = append(originals, e)
		}
	}
	var (
		seen handled
		logs natstest.Buffer
	)
	runSubscriber(t, js, subscriber.Config{Name: "outage", Concurrency: 4,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		func(_ context.Context, e event.Event) error {
			time.Sleep(5 * time.Millisecond)
			seen.add(e)
			return nil
		})
	natstest.CheckFor(t, 20*time.Second, 2*time.Millisecond, func() error {
		if n := len(seen.all()); n < 40 {
			return fmt.Errorf("handled %d, waiting for 40", n)
		}
		return nil
	})
	srv.Stop(t)
	natstest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), "level=WARN") {
			return fmt.Errorf("the outage is not noticed yet:\n%s", logs.String())
		}
		return nil
	})
	during := len(seen.all())
	srv.Restart(t)
	natstest.CheckFor(t, 60*time.Second, 10*time.Millisecond, func() error {
		if n := len(seen.all()); n < len(originals) {
			return fmt.Errorf("handled %d of %d", n, len(originals))
		}
		return nil
	})
	perKey, last := map[string]int{}, map[string]int{}
	for _, e := range seen.all() {
		perKey[subscriber.KeyOf(e)]++
		var d struct{ N int }
		if err := e.DataAs(&d); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[e.Subject()]; ok && d.N <= prev {
			t.Errorf("entity %s: event %d handled after event %d", e.Subject(), d.N, prev)
		}
		last[e.Subject()] = d.N
	}
	for _, e := range originals {
		if perKey[e.Key] != 1 {
			t.Errorf("key %s handled %d times, want once", e.Key, perKey[e.Key])
		}
	}
	t.Logf("%d events, %d handled when JetStream stopped", len(originals), during)
}
