package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// panickyStore is the real publisher, but an event whose data holds
// "boom-publish" makes Publish panic: a bug deep in the store path, in a
// NATS ingest worker.
type panickyStore struct{ *publish.Publisher }

func (s panickyStore) Publish(ctx context.Context, m publish.Message) (publish.Ack, error) {
	if bytes.Contains(m.Data, []byte("boom-publish")) {
		panic("boom in publish")
	}
	return s.Publisher.Publish(ctx, m)
}

// panickyPipe is the real pipeline, but a body holding "boom-begin" makes
// Begin panic (in the dispatcher, or in a request goroutine).
type panickyPipe struct{ *pipeline.Runner }

func (p panickyPipe) Begin(m *transform.Mapping, in transform.Input) *pipeline.Pending {
	if bytes.Contains(in.Body, []byte("boom-begin")) {
		panic("boom in begin")
	}
	return p.Runner.Begin(m, in)
}

// TestNATSIngestPanicDeadLetters: a panic in any NATS ingest goroutine (the
// dispatcher, a worker, a request) dead-letters the message with reason
// panic and logs the stack; the process goes on and the next message is
// stored.
func TestNATSIngestPanicDeadLetters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var logs natstest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	st := startStore(ctx, t, log)
	nc, js, pcfg, publisher, set := st.nc, st.js, st.pcfg, st.publisher, st.set
	pipe := panickyPipe{pipeline.New(panickyStore{publisher}, pipeline.Options{Logger: log})}
	cfg := DefaultNATSConfig()
	cfg.Timeout, cfg.AckWait, cfg.Logger = 2*time.Second, 5*time.Second, log
	if err := publish.EnsureStream(ctx, js, pcfg, cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	dlw, err := deadletter.NewWriter(publisher, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNATS(js, nc, func() Mappings { return set }, pipe, dlw, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})

	for _, note := range []string{"boom-begin", "boom-publish", "fine"} {
		body := fmt.Sprintf(`{"id":"ord_%s","kind":"paid","note":%q}`, note, note)
		if _, err := js.Publish(ctx, "ingest.shop", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := nc.RequestWithContext(ctx, "bridge.ingest.shop", []byte(`{"id":"ord_r","kind":"paid","note":"boom-begin"}`))
	if err != nil {
		t.Fatal(err)
	}
	var answer VerdictBody
	if err := json.Unmarshal(reply.Data, &answer); err != nil {
		t.Fatal(err)
	}
	if answer.Status != 202 || !answer.DeadLettered || answer.Reason != string(deadletter.ReasonPanic) {
		t.Errorf("request answer %s", reply.Data)
	}

	natstest.CheckFor(t, 10*time.Second, 25*time.Millisecond, func() error {
		if got := len(natstest.StreamMessages(t, js, DefaultIngestStream)); got != 0 {
			return fmt.Errorf("%d ingest messages left", got)
		}
		if got := len(natstest.StreamMessages(t, js, pcfg.DLQStream)); got != 3 {
			return fmt.Errorf("%d dead letters, want 3", got)
		}
		return nil
	})
	dead := map[string]bool{}
	for _, m := range natstest.StreamMessages(t, js, pcfg.DLQStream) {
		if m.Subject != "dlq.shop.panic" || !strings.HasPrefix(m.Header.Get(deadletter.HeaderError), "panic: boom in ") {
			t.Errorf("dead letter on %s: %v", m.Subject, m.Header)
		}
		dead[string(m.Data)] = true
	}
	for _, note := range []string{"boom-begin", "boom-publish"} {
		if !dead[fmt.Sprintf(`{"id":"ord_%s","kind":"paid","note":%q}`, note, note)] {
			t.Errorf("the %s message is not in the dead letters", note)
		}
	}
	if events := natstest.StreamMessages(t, js, pcfg.Stream); len(events) != 1 || !bytes.Contains(events[0].Data, []byte("ord_fine")) {
		t.Errorf("%d events stored, want the fine one", len(events))
	}
	if !strings.Contains(logs.String(), "runtime/debug.Stack") {
		t.Error("the panic's stack is not logged")
	}
}
