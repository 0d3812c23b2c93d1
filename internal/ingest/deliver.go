package ingest

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// door is what the four ways in (webhook, NATS stream consumer, NATS
// request/reply, events protocol) share once a delivery has passed their
// own checks: its span, its deadline, the pipeline call and the count of
// its outcome. Each door then maps the verdict to its own protocol.
type door struct {
	ingest  string          // transform.IngestWebhook, IngestNATS or IngestEvents: the label of metrics and spans
	timeout time.Duration   // one delivery's deadline, publish retries included
	pipe    Handler         // the pipeline
	archive Archiver        // nil: the raw archive is off
	metrics *metrics.Set    // nil: none
	tracer  *tracing.Tracer // nil: tracing off
}

// startSpan starts the span of one delivery for provider, a child of the
// trace context incoming it arrived with; it returns the context holding
// the span, and the trace context the delivery's events carry.
func (d door) startSpan(ctx context.Context, provider string, incoming tracing.Context) (context.Context, tracing.Span, tracing.Context) {
	return d.tracer.StartDelivery(ctx, d.ingest, provider, incoming)
}

// startRequest starts the span of a delivery that came as the HTTP request
// r, as the HTTP semantic conventions describe a server span (its name is
// the method and the route that served it).
func (d door) startRequest(r *http.Request, provider string, incoming tracing.Context) (context.Context, tracing.Span, tracing.Context) {
	route := r.Pattern
	if _, path, ok := strings.Cut(route, " "); ok { // "POST /x" patterns: the path
		route = path
	}
	return d.tracer.StartRequest(r, route, d.ingest, provider, incoming)
}

// statusWriter remembers the status code a handler answered, for the
// span of its request.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Archiver keeps a delivery as it was received (archive.Writer): it
// queues it and returns at once, whatever the archive's state.
type Archiver interface {
	Keep(r archive.Record)
}

// deliver hands in, which reached the mapping file m, to the pipeline
// within the door's deadline, counts its outcome and returns the verdict.
func (d door) deliver(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict {
	return d.run(ctx, m.Provider, in.ReceivedAt, d.begin(m, in).Finish, true)
}

// begin maps in (pipeline.Runner.Begin: CPU only) and hands it to the raw
// archive with the key the mapping derived, before any of its events is
// stored: every delivery that passed its door's authentication and limits
// goes through here once, whichever door it came by.
func (d door) begin(m *transform.Mapping, in transform.Input) *pipeline.Pending {
	pd := d.pipe.Begin(m, in)
	if d.archive != nil {
		d.archive.Keep(archive.Record{Provider: m.Provider, Ingest: in.Ingest, ReceivedAt: in.ReceivedAt, Key: pd.Key(),
			ContentType: in.Header.Get("Content-Type"), Header: in.Header, Query: in.Query, Body: in.Body})
	}
	return pd
}

// run is deliver with the pipeline call given: the NATS consumer finishes
// a delivery its dispatcher began (pipeline.Pending.Finish), so that the
// events of an entity keep the stream's order. The outcome is counted
// under provider, as taking the time since received; with countFailed
// false a Failed verdict is not, the door counting it as what it becomes
// (the consumer's last attempt becomes a dead letter).
func (d door) run(ctx context.Context, provider string, received time.Time, call func(context.Context) pipeline.Verdict, countFailed bool) pipeline.Verdict {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	v := call(ctx)
	if v.Outcome != pipeline.Failed || countFailed {
		d.metrics.Done(provider, d.ingest, v.Outcome.String(), received)
	}
	return v
}

// traceResult is what a delivery's span records of its verdict; every
// door ends its spans with it.
func traceResult(v pipeline.Verdict) tracing.Result {
	r := tracing.Result{Rule: v.Rule, Outcome: v.Outcome.String(), Reason: v.Reason, IdempotencyKey: v.IdempotencyKey}
	if v.Outcome == pipeline.Failed {
		r.Err = v.Err
	}
	return r
}
