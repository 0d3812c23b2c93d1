package pipeline

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bridge-dev/bridge/internal/tracing"
)

const (
	traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traceState  = "rojo=00f067aa0ba902b7"
)

// TestPublishCarriesTheTraceContext: an event's trace context is stored in
// the event and in its message's traceparent and tracestate headers; an
// event without one has neither header.
func TestPublishCarriesTheTraceContext(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{Dedupe: f.store})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in := f.input(t, `{"entity": "traced", "seq": 1}`)
	in.TraceParent, in.TraceState = traceParent, traceState
	if v := p.Handle(ctx, f.mapping, in); v.Outcome != Published {
		t.Fatalf("traced: %v %v", v.Outcome, v.Err)
	}
	if v := p.Handle(ctx, f.mapping, f.input(t, `{"entity": "plain", "seq": 1}`)); v.Outcome != Published {
		t.Fatalf("plain: %v %v", v.Outcome, v.Err)
	}
	s, err := f.js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[uint64][2]string{1: {traceParent, traceState}, 2: {"", ""}} {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]string{m.Header.Get(tracing.HeaderTraceParent), m.Header.Get(tracing.HeaderTraceState)}; got != want {
			t.Errorf("message %d: headers traceparent, tracestate = %q, want %q", seq, got, want)
		}
		var ev map[string]any
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if got, _ := ev["traceparent"].(string); got != want[0] {
			t.Errorf("message %d: event's traceparent %q, want %q", seq, got, want[0])
		}
	}
}

// TestStorageSpans: with a tracer, the idempotency lookup, each event's
// publish and the idempotency record are spans under the delivery's span;
// a retried delivery's lookup says it found a duplicate.
func TestStorageSpans(t *testing.T) {
	f := setup(t, nil)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tracing.NewTracer(tp)
	p := New(f.pub, Options{Dedupe: f.store, Tracer: tr})

	deliver := func() Verdict {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ctx, span, _ := tr.StartDelivery(ctx, "webhook", "seq", tracing.Context{})
		v := p.Handle(ctx, f.mapping, f.input(t, `{"entities": ["a", "b"]}`))
		span.Finish(tracing.Result{Outcome: v.Outcome.String()})
		return v
	}
	if v := deliver(); v.Outcome != Published {
		t.Fatalf("first: %v %v", v.Outcome, v.Err)
	}
	spans := rec.Ended()
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	want := []string{"idempotency lookup", "publish event.seq.test.thing.stepped", "publish event.seq.test.thing.stepped",
		"idempotency remember", "deliver webhook"}
	if len(names) != len(want) {
		t.Fatalf("spans %q, want %q", names, want)
	}
	delivery := spans[len(spans)-1].SpanContext()
	for i, s := range spans[:len(spans)-1] {
		if s.Name() != want[i] {
			t.Errorf("span %d is %q, want %q", i, s.Name(), want[i])
		}
		if s.Parent().SpanID() != delivery.SpanID() || s.SpanContext().TraceID() != delivery.TraceID() {
			t.Errorf("span %q is not a child of the delivery's", s.Name())
		}
	}
	pub := attrsOf(spans[1])
	if pub[tracing.AttrMsgDestination] != "event.seq.test.thing.stepped" || pub[tracing.AttrEventID] == "" ||
		pub[tracing.AttrMsgID] == "" || pub[tracing.AttrDuplicate] != "false" {
		t.Errorf("publish span attributes %v", pub)
	}

	if v := deliver(); v.Outcome != Duplicate {
		t.Fatalf("retry: %v %v", v.Outcome, v.Err)
	}
	retry := rec.Ended()[len(spans):]
	if len(retry) != 2 || retry[0].Name() != "idempotency lookup" || attrsOf(retry[0])[tracing.AttrDuplicate] != "true" {
		t.Errorf("retry's spans %v, want a lookup that found the delivery, then the delivery", retry)
	}
}

func attrsOf(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}
