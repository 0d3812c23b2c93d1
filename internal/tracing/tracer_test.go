package tracing

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recording returns a Tracer whose ended spans the recorder holds.
func recording(t *testing.T, ratio float64) (*Tracer, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sampler(ratio)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return NewTracer(tp), rec
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

func TestTracingOffPassesThrough(t *testing.T) {
	var tr *Tracer
	in := Context{validTP, validTS}
	ctx := context.Background()
	got, span, out := tr.StartDelivery(ctx, "webhook", "stripe", in)
	if got != ctx || out != in || span != (Span{}) {
		t.Fatalf("StartDelivery with tracing off = %v, %+v, %+v; want the context and the trace context unchanged", got, span, out)
	}
	if _, s := tr.StartPublish(ctx, "event.a.b.c.d", "k"); s != (Span{}) {
		t.Error("StartPublish with tracing off started a span")
	}
	if NewTracer(nil) != nil {
		t.Error("NewTracer(nil) is not nil")
	}
	allocs := testing.AllocsPerRun(100, func() {
		ctx, span, _ := tr.StartDelivery(ctx, "webhook", "stripe", in)
		_, child := tr.StartIdempotency(ctx, "lookup", "k")
		child.SetString(AttrEventID, "x")
		child.End(nil)
		span.Finish(Result{Outcome: "published", Rule: "r", IdempotencyKey: "k"})
	})
	if allocs != 0 {
		t.Errorf("a delivery with tracing off allocates %v times, want 0", allocs)
	}
}

func TestDeliverySpanContinuesTheIncomingTrace(t *testing.T) {
	tr, rec := recording(t, 1)
	ctx, span, out := tr.StartDelivery(context.Background(), "webhook", "stripe", Context{validTP, validTS})
	_, pub := tr.StartPublish(ctx, "event.stripe.payments.charge.succeeded", "key-1")
	pub.SetBool(AttrDuplicate, false)
	pub.End(nil)
	span.Finish(Result{Rule: "charge", Outcome: "published", IdempotencyKey: "key-1"})

	// The events carry the bridge's span: same trace, new parent id.
	traceID, parentID := validTP[3:35], validTP[36:52]
	if !ValidTraceParent(out.TraceParent) || out.TraceParent[3:35] != traceID || out.TraceParent[36:52] == parentID {
		t.Fatalf("events' traceparent %q, want trace %s with a new parent id", out.TraceParent, traceID)
	}
	if out.TraceState != validTS {
		t.Errorf("events' tracestate %q, want %q", out.TraceState, validTS)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans ended, want 2", len(spans))
	}
	pubSpan, del := spans[0], spans[1]
	if del.Name() != "deliver webhook" || del.SpanKind() != trace.SpanKindServer {
		t.Errorf("delivery span %q of kind %v", del.Name(), del.SpanKind())
	}
	if del.Parent().TraceID().String() != traceID || del.Parent().SpanID().String() != parentID || !del.Parent().IsRemote() {
		t.Errorf("delivery span's parent %v, want the incoming %s", del.Parent(), validTP)
	}
	if got := del.SpanContext().SpanID().String(); got != out.TraceParent[36:52] {
		t.Errorf("events carry parent id %s, the delivery span is %s", out.TraceParent[36:52], got)
	}
	wantAttrs := map[string]string{AttrIngest: "webhook", AttrProvider: "stripe", AttrRule: "charge", AttrOutcome: "published", AttrIdempotencyKey: "key-1"}
	if got := attrs(del); !equal(got, wantAttrs) {
		t.Errorf("delivery span attributes %v, want %v", got, wantAttrs)
	}
	if pubSpan.Parent().SpanID() != del.SpanContext().SpanID() || pubSpan.SpanKind() != trace.SpanKindProducer {
		t.Errorf("publish span's parent %v kind %v, want the delivery span, producer", pubSpan.Parent(), pubSpan.SpanKind())
	}
	if got := attrs(pubSpan); got[AttrMsgDestination] != "event.stripe.payments.charge.succeeded" || got[AttrMsgID] != "key-1" || got[AttrDuplicate] != "false" {
		t.Errorf("publish span attributes %v", got)
	}
}

func TestDeliverySpanWithoutIncomingTrace(t *testing.T) {
	tr, rec := recording(t, 1)
	_, span, out := tr.StartDelivery(context.Background(), "nats", "stripe", Context{})
	span.Finish(Result{Outcome: "failed", Err: errors.New("jetstream down")})
	if !ValidTraceParent(out.TraceParent) || out.TraceState != "" {
		t.Fatalf("events' trace context %+v, want the new root span's", out)
	}
	s := rec.Ended()[0]
	if s.Parent().IsValid() || s.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("span parent %v kind %v, want a root consumer span", s.Parent(), s.SpanKind())
	}
	if s.Status().Code != codes.Error || s.Status().Description != "jetstream down" {
		t.Errorf("status %+v, want an error", s.Status())
	}
}

func TestSamplingFollowsTheIncomingFlag(t *testing.T) {
	tr, rec := recording(t, 0) // no new trace is sampled
	_, span, out := tr.StartDelivery(context.Background(), "events", "unknown", Context{})
	span.Finish(Result{Outcome: "published"})
	if !strings.HasSuffix(out.TraceParent, "-00") {
		t.Errorf("unsampled root: events' traceparent %q, want flags 00", out.TraceParent)
	}
	_, span, out = tr.StartDelivery(context.Background(), "events", "unknown", Context{TraceParent: validTP})
	span.Finish(Result{Outcome: "published", FlowID: "flow-1", Provider: "guardia"})
	if !strings.HasSuffix(out.TraceParent, "-01") {
		t.Errorf("sampled parent: events' traceparent %q, want flags 01", out.TraceParent)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans recorded, want only the one with a sampled parent", len(spans))
	}
	if got := attrs(spans[0]); got[AttrFlowID] != "flow-1" || got[AttrProvider] != "guardia" {
		t.Errorf("attributes %v, want the flow id and the provider found at the end", got)
	}
}

func TestChildSpansNeedADelivery(t *testing.T) {
	tr, rec := recording(t, 1)
	ctx, s := tr.StartIdempotency(context.Background(), "lookup", "k")
	if s != (Span{}) || trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("an idempotency span started without a delivery span")
	}
	s.End(nil)
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("%d spans ended, want 0", n)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
