package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Store is what the pipeline needs of JetStream.
type Store interface {
	Publish(ctx context.Context, m publish.Message) (publish.Ack, error)
	StoredHeader(ctx context.Context, seq uint64) (nats.Header, error)
	// Store stores one message under Publish's retries: the default
	// Options.DeadLetters writes dead letters through it.
	Store(ctx context.Context, msg *nats.Msg) (publish.Ack, error)
}

// Deduper remembers which events each delivery produced, beyond the
// stream's duplicate window (the idempotency horizon).
type Deduper interface {
	Lookup(ctx context.Context, key uuid.UUID) (idem.Record, bool, error)
	Remember(ctx context.Context, key uuid.UUID, rec idem.Record) error
}

// DefaultRetryAfter is the Retry-After hint of a Failed verdict.
const DefaultRetryAfter = 5 * time.Second

// deadLetterGrace bounds the store of a dead letter whose delivery's
// deadline has passed.
const deadLetterGrace = 5 * time.Second

// DefaultMaxInFlight bounds the publishes waiting for an acknowledgement.
const DefaultMaxInFlight = 1024

// Options of a pipeline; the zero value is usable.
type Options struct {
	// Dedupe answers duplicates beyond the stream's duplicate window; nil
	// leaves de-duplication to the window alone.
	Dedupe Deduper
	// MaxInFlight bounds concurrent publishes awaiting their acknowledgement
	// (default DefaultMaxInFlight); a delivery that cannot get a slot before
	// its deadline is Failed (503), never queued without bound.
	MaxInFlight int
	// OnAccepted, if set, is called as each event takes its place in its
	// entity's queue (in Begin): the acceptance order that the stream keeps
	// per entity. It runs under the queue's lock and must not block.
	OnAccepted func(ev transform.Event)
	Metrics    *metrics.Set // nil: none
	Logger     *slog.Logger // nil discards
	// Limits bound each delivery's evaluation (transform.DefaultLimits
	// where a field is zero).
	Limits transform.Limits
	// Tracer traces each event's publish and the idempotency store's
	// operations, as children of the delivery's span in Finish's context;
	// nil: tracing off.
	Tracer *tracing.Tracer
	// DeadLetters writes the payloads that cannot be mapped; nil: through
	// the store, into the dead-letter stream of publish.DefaultConfig.
	DeadLetters *deadletter.Writer
}

// Runner runs each delivery through the pipeline: map it, keep its events
// in order per entity, answer duplicates, store the events or the dead
// letter, and return the verdict.
type Runner struct {
	store      Store
	dead       *deadletter.Writer
	dedupe     Deduper
	log        *slog.Logger
	order      *entityOrder
	inFlight   chan struct{}
	onAccepted func(transform.Event)
	metrics    *metrics.Set
	tracer     *tracing.Tracer
	limits     transform.Limits
}

// New returns a pipeline storing through store.
func New(store Store, opts Options) *Runner {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.DeadLetters == nil {
		// Fails only for a nil store, which the pipeline cannot use at all.
		opts.DeadLetters, _ = deadletter.NewWriter(store, publish.DefaultConfig())
	}
	return &Runner{store: store, dead: opts.DeadLetters, dedupe: opts.Dedupe, log: opts.Logger, order: newEntityOrder(),
		inFlight: make(chan struct{}, opts.MaxInFlight), onAccepted: opts.OnAccepted, metrics: opts.Metrics, tracer: opts.Tracer,
		limits: opts.Limits}
}

// Handle applies m to in and stores the result. It returns once the outcome
// is final: every event acknowledged by JetStream, the dead letter stored,
// or a failure the caller must retry. ctx bounds the whole of it,
// publish retries included.
func (p *Runner) Handle(ctx context.Context, m *transform.Mapping, in transform.Input) Verdict {
	return p.Begin(m, in).Finish(ctx)
}

// Replay is Handle for a payload that is already a dead letter: when it
// still cannot be mapped, the verdict is DeadLettered with the new reason
// but nothing is written; the caller keeps (or rewrites) the dead letter it
// holds, so the payload is never lost between the two.
func (p *Runner) Replay(ctx context.Context, m *transform.Mapping, in transform.Input) Verdict {
	pd := p.Begin(m, in)
	pd.replay = true
	return pd.Finish(ctx)
}

// Pending is a delivery accepted but not yet stored: its events hold their
// places in their entities' queues. An ingestor that must keep its input's
// order (the NATS consumer) calls Begin in that order and may then Finish
// deliveries concurrently.
type Pending struct {
	p       *Runner
	m       *transform.Mapping
	in      transform.Input
	res     transform.Result
	tickets []*ticket
	replay  bool
}

// Begin applies the mapping (CPU only, no I/O) and takes the events' places
// in their entities' queues: the acceptance order. Every Begin must be
// followed by exactly one Finish.
func (p *Runner) Begin(m *transform.Mapping, in transform.Input) *Pending {
	pd := &Pending{p: p, m: m, in: in, res: m.ApplyContext(context.Background(), in, p.limits)}
	if evs := pd.res.Events; len(evs) > 0 && pd.res.Failure == nil {
		subjects := make([]string, len(evs))
		for i, ev := range evs {
			subjects[i] = ev.Subject
		}
		var accepted func(int)
		if p.onAccepted != nil {
			accepted = func(i int) { p.onAccepted(evs[i]) }
		}
		pd.tickets = p.order.take(subjects, accepted)
	}
	return pd
}

// Key is the delivery's idempotency key, as Begin's mapping derived it.
func (pd *Pending) Key() string { return pd.res.Key.String() }

// Finish stores what Begin accepted and returns the verdict.
func (pd *Pending) Finish(ctx context.Context) Verdict {
	p, res := pd.p, pd.res
	defer func() {
		for _, t := range pd.tickets {
			p.order.done(t)
		}
	}()
	v := Verdict{IdempotencyKey: res.Key.String(), File: pd.m.File}
	if res.Rule != nil {
		v.Rule, v.Many = res.Rule.Name, res.Rule.Each()
	}
	switch {
	case res.Dropped:
		v.Outcome = Dropped
		return v
	case res.Failure != nil && pd.replay:
		v.Outcome, v.Reason, v.Field, v.Err = DeadLettered, string(res.Failure.Reason), res.Failure.Field, res.Failure
		return v
	case res.Failure != nil:
		return p.deadLetter(ctx, pd.m, pd.in, res, v)
	}
	if p.dedupe != nil {
		lctx, span := p.tracer.StartIdempotency(ctx, "lookup", v.IdempotencyKey)
		rec, found, err := p.dedupe.Lookup(lctx, res.Key)
		span.SetBool(tracing.AttrDuplicate, found)
		span.End(err)
		if err != nil {
			return failed(v, err)
		}
		if found {
			v.Outcome = Duplicate
			for _, r := range rec.Events {
				v.Events = append(v.Events, EventRef{ID: r.ID, Type: r.Type, IdempotencyKey: r.IdempotencyKey, Duplicate: true})
			}
			return v
		}
	}
	dups := 0
	for i, ev := range res.Events {
		ref, err := p.publish(ctx, pd.tickets[i], ev)
		if err != nil {
			return failed(v, err)
		}
		if ref.Duplicate {
			dups++
		}
		v.Events = append(v.Events, ref)
	}
	if p.dedupe != nil && len(v.Events) > 0 {
		rec := idem.Record{Events: make([]idem.Ref, len(v.Events))}
		for i, e := range v.Events {
			rec.Events[i] = idem.Ref{ID: e.ID, Type: e.Type, IdempotencyKey: e.IdempotencyKey}
		}
		// Answering 2xx without the record would let a retry beyond the
		// duplicate window store the events again: the caller retries
		// instead, and the window de-duplicates the events.
		rctx, span := p.tracer.StartIdempotency(ctx, "remember", v.IdempotencyKey)
		err := p.dedupe.Remember(rctx, res.Key, rec)
		span.End(err)
		if err != nil {
			return failed(v, err)
		}
	}
	v.Outcome = Published
	if dups > 0 && dups == len(v.Events) {
		v.Outcome = Duplicate
	}
	return v
}

// publish stores one event in its entity's turn, holding an in-flight slot
// until JetStream acknowledges it; the turn passes on when Finish ends.
func (p *Runner) publish(ctx context.Context, t *ticket, ev transform.Event) (EventRef, error) {
	if err := p.order.wait(ctx, t); err != nil {
		return EventRef{}, fmt.Errorf("waiting for %s's turn: %w", ev.Subject, err)
	}
	defer p.order.done(t) // the entity's next event may go once this one is acknowledged
	select {
	case p.inFlight <- struct{}{}:
		defer func() { <-p.inFlight }()
	case <-ctx.Done():
		return EventRef{}, fmt.Errorf("too many publishes in flight: %w", ctx.Err())
	}
	done := p.metrics.PublishStarted(pdProvider(ev), ev.Type)
	msgID := ev.IdempotencyKey.String()
	ctx, span := p.tracer.StartPublish(ctx, ev.Type, msgID)
	span.SetString(tracing.AttrEventID, ev.ID)
	span.SetString(tracing.AttrEventSubject, ev.Subject)
	header := publish.EventHeader(ev.ID, ev.Type, ev.Source, ev.Subject, 2)
	// The trace context also travels as headers, so that a subscriber can
	// continue the trace without parsing the event.
	if ev.TraceParent != "" {
		header[tracing.HeaderTraceParent] = []string{ev.TraceParent}
		if ev.TraceState != "" {
			header[tracing.HeaderTraceState] = []string{ev.TraceState}
		}
	}
	ack, err := p.store.Publish(ctx, publish.Message{Subject: ev.Type, MsgID: msgID, Header: header, Data: ev.JSON})
	done(err == nil && !ack.Duplicate)
	if err != nil {
		err = fmt.Errorf("publish %s: %w", ev.Type, err)
		span.End(err)
		return EventRef{}, err
	}
	ref := EventRef{ID: ev.ID, Type: ev.Type, IdempotencyKey: msgID}
	if ack.Duplicate {
		h, err := p.store.StoredHeader(ctx, ack.Sequence)
		if err != nil {
			err = fmt.Errorf("read the original of duplicate %s: %w", ref.IdempotencyKey, err)
			span.End(err)
			return EventRef{}, err
		}
		ref.ID, ref.Duplicate = h.Get(publish.HeaderCEID), true
	}
	span.SetBool(tracing.AttrDuplicate, ref.Duplicate)
	span.End(nil)
	return ref, nil
}

// pdProvider is the provider token of an event's type
// (event.<provider>.<module>.<entity_type>.<event_name>).
func pdProvider(ev transform.Event) string {
	rest, _ := strings.CutPrefix(ev.Type, "event.")
	p, _, _ := strings.Cut(rest, ".")
	return p
}

func failed(v Verdict, err error) Verdict {
	v.Outcome, v.Err, v.Events = Failed, err, nil
	v.RetryAfter = DefaultRetryAfter
	return v
}

func (p *Runner) deadLetter(ctx context.Context, m *transform.Mapping, in transform.Input, res transform.Result, v Verdict) Verdict {
	f := res.Failure
	v.Reason, v.Field, v.Err = string(f.Reason), f.Field, f
	h := in.Header
	if ctx.Err() != nil {
		// The delivery's time went on its evaluation (a mapping that ran
		// long): its dead letter is stored all the same, so that a retry
		// finds it and the provider stops retrying a payload that cannot
		// be mapped.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deadLetterGrace)
		defer cancel()
		ctx = dctx
	}
	// One dead letter per delivery, reason and body, however often it is
	// retried; a different body under the same key is kept too.
	ack, err := p.dead.Store(ctx, v.IdempotencyKey, deadletter.Letter{
		Provider:   m.Provider,
		Reason:     f.Reason,
		Error:      f.Error(),
		File:       m.File,
		Rule:       v.Rule,
		Ingest:     in.Ingest,
		ReceivedAt: in.ReceivedAt,
		Header:     h,
		Query:      in.Query,
		Body:       in.Body,
	})
	if err != nil {
		return failed(v, fmt.Errorf("store dead letter: %w", err))
	}
	v.Outcome, v.DeadLetterDuplicate = DeadLettered, ack.Duplicate
	if ack.Duplicate {
		p.log.Info("dead letter already stored", "provider", m.Provider, "ingest", in.Ingest, "rule", v.Rule,
			"reason", f.Reason, "idempotencykey", v.IdempotencyKey)
		return v
	}
	p.metrics.DeadLettered(m.Provider, in.Ingest, string(f.Reason))
	p.log.Warn("dead-lettered", "provider", m.Provider, "ingest", in.Ingest, "rule", v.Rule, "reason", f.Reason,
		"field", f.Field, "error", LogText(f.Err), "idempotencykey", v.IdempotencyKey)
	return v
}

// IsUnavailable reports whether a Failed verdict's error means JetStream
// could not store or answer (as opposed to a bug).
func IsUnavailable(err error) bool {
	return errors.Is(err, publish.ErrUnavailable) || errors.Is(err, idem.ErrUnavailable)
}
