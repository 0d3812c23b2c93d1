package ingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/publish"
)

// natsRequester is a NATS ingestor on a real server, answering core
// requests on bridge.ingest.<provider>, whose pipeline panics on a body
// holding "boom-begin" (panickyPipe).
type natsRequester struct {
	st   store
	n    *NATS
	logs *natstest.Buffer
}

func startRequester(ctx context.Context, t *testing.T) natsRequester {
	t.Helper()
	logs := &natstest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	st := startStore(ctx, t, log)
	cfg := DefaultNATSConfig()
	cfg.Timeout, cfg.Logger = time.Second, log
	if err := publish.EnsureStream(ctx, st.js, st.pcfg, cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	dlw, err := deadletter.NewWriter(st.publisher, st.pcfg)
	if err != nil {
		t.Fatal(err)
	}
	pipe := panickyPipe{pipeline.New(st.publisher, pipeline.Options{Logger: log})}
	n, err := NewNATS(st.js, st.nc, func() Mappings { return st.set }, pipe, dlw, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r := natsRequester{st: st, n: n, logs: logs}
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops the ingestor and waits for its request goroutines: what
// they log is written by then. Safe twice.
func (r natsRequester) shutdown(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.n.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func (r natsRequester) request(ctx context.Context, t *testing.T, body string) (*nats.Msg, map[string]any) {
	t.Helper()
	reply, err := r.st.nc.RequestWithContext(ctx, "bridge.ingest.shop", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	if err := json.Unmarshal(reply.Data, &answer); err != nil {
		t.Fatalf("reply %q: %v", reply.Data, err)
	}
	return reply, answer
}

// A core NATS request answers with the verdict: the stored event's id and
// idempotency key and the HTTP-equivalent status, in the body and in
// Bridge-Status. Replying succeeds, so nothing is logged about it.
func TestNATSRequestAnswersTheVerdict(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := startRequester(ctx, t)
	reply, answer := r.request(ctx, t, `{"id":"ord_1","kind":"paid","note":"fine"}`)
	if got := reply.Header.Get("Bridge-Status"); got != "202" || answer["status"] != 202.0 {
		t.Fatalf("reply: Bridge-Status %q, body %s; want 202", got, reply.Data)
	}
	if answer["type"] != "event.shop.test.order.paid" || answer["id"] == nil || answer["idempotencykey"] == nil || answer["dead_lettered"] != nil {
		t.Fatalf("reply %s: want the stored event", reply.Data)
	}
	events := natstest.StreamMessages(t, r.st.js, r.st.pcfg.Stream)
	if len(events) != 1 || events[0].Header.Get(publish.HeaderCEID) != answer["id"] {
		t.Fatalf("%d events stored; want the one the reply names (%v)", len(events), answer["id"])
	}
	r.shutdown(t)
	if logs := r.logs.String(); strings.Contains(logs, "nats ingest: reply") {
		t.Fatalf("a reply that went out is logged as failed: %s", logs)
	}
}

// With the events stream gone, a request is answered 503 with the
// store-unavailable problem, in the body and in Bridge-Status.
func TestNATSRequestStoreUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := startRequester(ctx, t)
	if err := r.st.js.DeleteStream(ctx, r.st.pcfg.Stream); err != nil {
		t.Fatal(err)
	}
	reply, answer := r.request(ctx, t, `{"id":"ord_2","kind":"paid","note":"lost"}`)
	if got := reply.Header.Get("Bridge-Status"); got != "503" || answer["status"] != 503.0 || answer["type"] != problem.TypeURI("store-unavailable") {
		t.Fatalf("reply: Bridge-Status %q, body %s; want 503 store-unavailable", got, reply.Data)
	}
	if dead := natstest.StreamMessages(t, r.st.js, r.st.pcfg.DLQStream); len(dead) != 0 {
		t.Fatalf("%d dead letters; want none (the delivery is not stored: the sender retries)", len(dead))
	}
}

// A request whose handling panics is dead-lettered with the mapping file
// of its provider, like any dead letter that found its mapping.
func TestNATSRequestPanicNamesTheMappingFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := startRequester(ctx, t)
	reply, answer := r.request(ctx, t, `{"id":"ord_3","kind":"paid","note":"boom-begin"}`)
	if answer["status"] != 202.0 || answer["dead_lettered"] != true || answer["reason"] != string(deadletter.ReasonPanic) {
		t.Fatalf("reply %s: want a dead letter (panic)", reply.Data)
	}
	dead := natstest.StreamMessages(t, r.st.js, r.st.pcfg.DLQStream)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	m, ok := r.st.set.Mapping("shop")
	if !ok {
		t.Fatal("no shop mapping")
	}
	if got := dead[0].Header.Get(deadletter.HeaderMappingFile); got == "" || got != m.File {
		t.Fatalf("dead letter's %s: %q, want %q", deadletter.HeaderMappingFile, got, m.File)
	}
}
