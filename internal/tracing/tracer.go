package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the bridge's spans.
const ScopeName = "github.com/bridge-dev/bridge"

// Span attributes the bridge sets. The cloudevents.* and messaging.* ones
// are OpenTelemetry's semantic conventions.
const (
	AttrIngest         = "bridge.ingest"         // webhook, nats, events
	AttrProvider       = "bridge.provider"       // the mapping's provider (the URL's, for an unknown one)
	AttrRule           = "bridge.rule"           // the rule that matched
	AttrOutcome        = "bridge.outcome"        // published, duplicate, dead_lettered, dropped, failed, rejected
	AttrReason         = "bridge.reason"         // why rejected or dead-lettered
	AttrIdempotencyKey = "bridge.idempotencykey" // the delivery's (or the event's) idempotency key
	AttrFlowID         = "bridge.flowid"         // the events protocol's flowId
	AttrDuplicate      = "bridge.duplicate"      // the publish found the event already stored
	AttrEventID        = "cloudevents.event_id"
	AttrEventType      = "cloudevents.event_type"
	AttrEventSubject   = "cloudevents.event_subject"
	AttrMsgSystem      = "messaging.system"
	AttrMsgOperation   = "messaging.operation.type"
	AttrMsgDestination = "messaging.destination.name"
	AttrMsgID          = "messaging.message.id"
)

// OutcomeRejected is the outcome of a delivery refused before mapping, as
// in the bridge_deliveries_total metric.
const OutcomeRejected = "rejected"

// Tracer starts the bridge's spans. A nil *Tracer is tracing off: every
// method returns at once, allocates nothing and passes the incoming trace
// context through unchanged.
type Tracer struct {
	tracer trace.Tracer
}

// NewTracer returns a Tracer of tp; nil for a nil tp (tracing off).
func NewTracer(tp trace.TracerProvider) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tracer: tp.Tracer(ScopeName)}
}

// Span is one span of the bridge; the zero Span does nothing.
type Span struct {
	span trace.Span
}

// StartDelivery starts the span of one delivery of an ingest kind, a child
// of the trace context in it arrived with, and returns the context holding
// the span and the trace context the delivery's events carry: the span's
// own when t exports, else in unchanged.
func (t *Tracer) StartDelivery(ctx context.Context, ingest, provider string, in Context) (context.Context, Span, Context) {
	if t == nil {
		return ctx, Span{}, in
	}
	if !in.IsZero() {
		c := carrier(in) // a copy: taking in's address would move it to the heap even when t is nil
		ctx = propagation.TraceContext{}.Extract(ctx, &c)
	}
	kind := trace.SpanKindServer // webhooks and the events protocol: an HTTP request
	if ingest == "nats" {
		kind = trace.SpanKindConsumer
	}
	ctx, span := t.tracer.Start(ctx, "deliver "+ingest, trace.WithSpanKind(kind),
		trace.WithAttributes(attribute.String(AttrIngest, ingest), attribute.String(AttrProvider, provider)))
	var out Context
	propagation.TraceContext{}.Inject(ctx, (*carrier)(&out))
	return ctx, Span{span}, out
}

// StartPublish starts the span of one JetStream publish, a child of the
// delivery's span in ctx; without one it starts nothing.
func (t *Tracer) StartPublish(ctx context.Context, subject, msgID string) (context.Context, Span) {
	if !t.inDelivery(ctx) {
		return ctx, Span{}
	}
	return t.child(ctx, "publish "+subject, trace.SpanKindProducer,
		attribute.String(AttrMsgSystem, "nats"), attribute.String(AttrMsgOperation, "publish"),
		attribute.String(AttrMsgDestination, subject), attribute.String(AttrMsgID, msgID))
}

// StartIdempotency starts the span of an idempotency store operation
// ("lookup" or "remember") on a delivery's key, a child of the delivery's
// span in ctx; without one it starts nothing.
func (t *Tracer) StartIdempotency(ctx context.Context, op, key string) (context.Context, Span) {
	if !t.inDelivery(ctx) {
		return ctx, Span{}
	}
	return t.child(ctx, "idempotency "+op, trace.SpanKindClient, attribute.String(AttrIdempotencyKey, key))
}

// inDelivery reports whether t exports and ctx holds a span to be the
// parent of a child span. It is checked before a child's name and
// attributes are built, so that tracing off allocates nothing.
func (t *Tracer) inDelivery(ctx context.Context) bool {
	return t != nil && trace.SpanContextFromContext(ctx).IsValid()
}

func (t *Tracer) child(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, Span) {
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	return ctx, Span{span}
}

// ContextWith returns ctx holding s, so that spans started from it are its
// children; ctx itself when s is the zero Span.
func ContextWith(ctx context.Context, s Span) context.Context {
	if s.span == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, s.span)
}

// SetString sets a string attribute; an empty value is not set.
func (s Span) SetString(key, value string) {
	if s.span == nil || value == "" {
		return
	}
	s.span.SetAttributes(attribute.String(key, value))
}

// SetBool sets a boolean attribute.
func (s Span) SetBool(key string, value bool) {
	if s.span == nil {
		return
	}
	s.span.SetAttributes(attribute.Bool(key, value))
}

// End ends the span; a non-nil err marks it failed with err's text.
func (s Span) End(err error) {
	if s.span == nil {
		return
	}
	if err != nil {
		s.span.SetStatus(codes.Error, err.Error())
	}
	s.span.End()
}

// Result is what a delivery span records as it ends.
type Result struct {
	Provider       string // the provider, when known only at the end (events protocol); empty: as started
	Rule           string
	Outcome        string // as in bridge_deliveries_total: published, duplicate, dead_lettered, dropped, failed, rejected
	Reason         string // rejected or dead_lettered: why
	IdempotencyKey string
	FlowID         string
	Err            error // failed: why the delivery was not stored; marks the span as an error
}

// Finish sets r's attributes on a delivery span and ends it.
func (s Span) Finish(r Result) {
	if s.span == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	for _, a := range [...]struct{ k, v string }{
		{AttrProvider, r.Provider}, {AttrRule, r.Rule}, {AttrOutcome, r.Outcome}, {AttrReason, r.Reason},
		{AttrIdempotencyKey, r.IdempotencyKey}, {AttrFlowID, r.FlowID},
	} {
		if a.v != "" {
			attrs = append(attrs, attribute.String(a.k, a.v))
		}
	}
	s.span.SetAttributes(attrs...)
	s.End(r.Err)
}
