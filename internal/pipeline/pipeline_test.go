package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/storetest"
	"github.com/bridge-dev/bridge/internal/transform"
)

type fixture struct {
	js      jetstream.JetStream
	pub     *publish.Publisher
	store   *idem.Store
	mapping *transform.Mapping
	srv     *natstest.Server
}

func setup(t *testing.T, edit func(*publish.Config)) *fixture {
	t.Helper()
	st := storetest.Start(t, storetest.Options{Edit: edit})
	m, problems := transform.Parse("testdata/seq.yaml", mustRead(t, "testdata/seq.yaml"), transform.Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	return &fixture{js: st.JS, pub: st.Publisher, store: st.Idem, mapping: m, srv: st.Srv}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) input(t *testing.T, body string) transform.Input {
	t.Helper()
	payload, err := jsonx.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return transform.Input{Provider: "seq", Ingest: transform.IngestWebhook, Body: []byte(body), Payload: payload,
		ReceivedAt: time.Now()}
}

// stored returns every event in the stream, in stream order.
func (f *fixture) stored(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range natstest.StreamMessages(t, f.js, "EVENTS") {
		var ev map[string]any
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// TestPerEntityOrder sends interleaved steps of many entities from many
// goroutines at once: for every entity, the stream holds its events in the
// order the pipeline accepted them, while entities proceed in parallel.
// It is a check under load, and catches a missing entity turn only when the
// scheduler happens to let an event overtake (most runs, not all):
// TestEntityTurnHeldUntilAcknowledged proves the turn deterministically.
func TestPerEntityOrder(t *testing.T) {
	f := setup(t, nil)
	var mu sync.Mutex
	accepted := map[string][]string{} // subject -> idempotency keys in acceptance order
	p := New(f.pub, Options{Dedupe: f.store, OnAccepted: func(ev transform.Event) {
		mu.Lock()
		accepted[ev.Subject] = append(accepted[ev.Subject], ev.IdempotencyKey.String())
		mu.Unlock()
	}})
	const entities, steps, workers = 12, 15, 24
	work := make(chan string, entities*steps)
	for s := range steps {
		for e := range entities {
			work <- fmt.Sprintf(`{"entity": "e%02d", "seq": %d}`, e, s)
		}
	}
	close(work)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				v := p.Handle(ctx, f.mapping, f.input(t, body))
				cancel()
				if v.Outcome != Published {
					t.Errorf("%s: %v %v", body, v.Outcome, v.Err)
				}
			}
		}()
	}
	wg.Wait()

	events := f.stored(t)
	if len(events) != entities*steps {
		t.Fatalf("stream holds %d events, want %d", len(events), entities*steps)
	}
	inStream := map[string][]string{}
	for _, ev := range events {
		s := ev["subject"].(string)
		inStream[s] = append(inStream[s], ev["idempotencykey"].(string))
	}
	if len(inStream) != entities {
		t.Fatalf("%d entities in the stream, want %d", len(inStream), entities)
	}
	for s, keys := range inStream {
		if fmt.Sprint(keys) != fmt.Sprint(accepted[s]) {
			t.Errorf("entity %s: stream order %v differs from acceptance order %v", s, keys, accepted[s])
		}
	}
}

// TestDuplicateBeyondTheWindow: once the stream's duplicate window has
// passed, the idempotency store still answers a retried delivery with the
// original events, and nothing is stored twice.
func TestDuplicateBeyondTheWindow(t *testing.T) {
	f := setup(t, func(c *publish.Config) { c.DuplicateWindow = 500 * time.Millisecond })
	p := New(f.pub, Options{Dedupe: f.store})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body := `{"entities": ["a", "b", "c"]}`
	first := p.Handle(ctx, f.mapping, f.input(t, body))
	if first.Outcome != Published || len(first.Events) != 3 {
		t.Fatalf("first: %v %v %+v", first.Outcome, first.Err, first.Events)
	}
	// Let the duplicate window pass: JetStream alone would store it again.
	natstest.AwaitDuplicateWindow(t, f.js, "EVENTS", natstest.ProbeSubject, 10*time.Second)
	again := p.Handle(ctx, f.mapping, f.input(t, body))
	if again.Outcome != Duplicate || len(again.Events) != 3 {
		t.Fatalf("retry: %v %v %+v", again.Outcome, again.Err, again.Events)
	}
	for i := range 3 {
		if again.Events[i].ID != first.Events[i].ID || !again.Events[i].Duplicate {
			t.Errorf("event %d: %+v, want the original %+v", i, again.Events[i], first.Events[i])
		}
	}
	// Without the store, the same retry would be stored again: the store is
	// what holds the guarantee here.
	if n := len(f.stored(t)); n != 3 {
		t.Fatalf("stream holds %d events, want 3", n)
	}
	bare := New(f.pub, Options{})
	if v := bare.Handle(ctx, f.mapping, f.input(t, body)); v.Outcome != Published {
		t.Fatalf("without the store: %v", v.Outcome)
	}
	if n := len(f.stored(t)); n != 6 {
		t.Fatalf("without the store the stream holds %d events, want 6 (the window alone has expired)", n)
	}
}

// TestStoreOutageFailsTheDelivery: when the store cannot answer, the
// delivery is Failed (503), never answered as new or duplicate by guess.
func TestStoreOutageFailsTheDelivery(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{Dedupe: f.store})
	f.srv.Stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	v := p.Handle(ctx, f.mapping, f.input(t, `{"entity": "x", "seq": 1}`))
	if v.Outcome != Failed || !IsUnavailable(v.Err) {
		t.Fatalf("outcome %v err %v, want Failed and unavailable", v.Outcome, v.Err)
	}
}
