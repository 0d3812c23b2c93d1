package subscriber_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// handled is what a test handler saw, in the order it saw it.
type handled struct {
	mu     sync.Mutex
	events []event.Event
}

func (h *handled) add(e event.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *handled) all() []event.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]event.Event(nil), h.events...)
}

// publishWithDuplicates publishes rounds of one event per entity and,
// after each round, a duplicate (new id, same key) of every fifth event of
// the round before: the copies come later in the stream than their
// originals, as a retried delivery stored past the bridge's window does.
func publishWithDuplicates(t *testing.T, publishOne func(testEvent), entities, rounds int) (originals, dups []testEvent) {
	t.Helper()
	var pending []testEvent
	for n := range rounds {
		for ent := range entities {
			e := newEvent(ent, n)
			publishOne(e)
			originals = append(originals, e)
			if len(originals)%5 == 0 {
				pending = append(pending, e.duplicate())
			}
		}
		for _, d := range pending {
			publishOne(d)
		}
		dups, pending = append(dups, pending...), nil
	}
	return originals, dups
}

// Every key reaches the handler once (a duplicate stored upstream is
// skipped), each entity's events in stream order even when some fail and
// are retried, and entities are handled in parallel.
func TestEachKeyOnceAndEntitiesInOrder(t *testing.T) {
	_, js := startEvents(t)
	originals, dups := publishWithDuplicates(t, func(e testEvent) { publishEvent(t, js, e) }, 8, 25)

	var (
		seen     handled
		failed   sync.Map // key -> its first attempt failed
		mu       sync.Mutex
		running  = map[string]bool{}
		parallel bool
		c        counters
	)
	h := func(ctx context.Context, e event.Event) error {
		mu.Lock()
		if running[e.Subject()] {
			t.Errorf("entity %s in the handler twice at once", e.Subject())
		}
		running[e.Subject()] = true
		parallel = parallel || len(running) > 1
		mu.Unlock()
		defer func() { mu.Lock(); delete(running, e.Subject()); mu.Unlock() }()
		time.Sleep(time.Millisecond)
		if key := subscriber.KeyOf(e); key[0] < '4' { // about a quarter fail once
			if _, again := failed.LoadOrStore(key, true); !again {
				return errors.New("transient failure")
			}
		}
		seen.add(e)
		return nil
	}
	runSubscriber(t, js, subscriber.Config{Name: "order", Concurrency: 4, Metrics: c.metrics(), Logger: discard()}, h)
	natstest.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.handled < len(originals) || c.duplicates < len(dups) {
			return fmt.Errorf("handled %d of %d, skipped %d of %d duplicates", c.handled, len(originals), c.duplicates, len(dups))
		}
		return nil
	})

	ids := map[string]bool{}
	for _, e := range originals {
		ids[e.ID] = true
	}
	perKey, last := map[string]int{}, map[string]int{}
	for _, e := range seen.all() {
		perKey[subscriber.KeyOf(e)]++
		if !ids[e.ID()] {
			t.Errorf("handled %s, a duplicate stored upstream", e.ID())
		}
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
	retried := 0
	failed.Range(func(any, any) bool { retried++; return true })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handled != len(originals) || c.duplicates != len(dups) || c.retries != retried || len(c.deadLettered) != 0 {
		t.Errorf("metrics: handled %d, duplicates %d, retries %d, dead letters %v; want %d, %d, %d, none",
			c.handled, c.duplicates, c.retries, c.deadLettered, len(originals), len(dups), retried)
	}
	mu.Lock()
	defer mu.Unlock()
	if !parallel {
		t.Error("no two entities were ever handled at once")
	}
	t.Logf("%d events, %d duplicates skipped, %d retries", len(originals), len(dups), retried)
}

// Two copies of one key under two entities (which the bridge does not
// write, but a consumer cannot rule out) are handled in parallel lanes,
// yet the key reaches the handler once.
func TestSameKeyOnTwoEntitiesHandledOnce(t *testing.T) {
	_, js := startEvents(t)
	a, b := newEvent(1, 0), newEvent(2, 0)
	b.Key = a.Key
	publishEvent(t, js, a)
	publishEvent(t, js, b)
	var seen handled
	var c counters
	runSubscriber(t, js, subscriber.Config{Name: "samekey", Concurrency: 2, Metrics: c.metrics(), Logger: discard()},
		func(_ context.Context, e event.Event) error {
			time.Sleep(20 * time.Millisecond) // both lanes are busy at once
			seen.add(e)
			return nil
		})
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.handled+c.duplicates < 2 {
			return fmt.Errorf("%d handled, %d skipped", c.handled, c.duplicates)
		}
		return nil
	})
	if n := len(seen.all()); n != 1 {
		t.Errorf("key handled %d times, want once", n)
	}
}
