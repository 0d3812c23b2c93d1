package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Pipe is what the NATS ingestor needs of the pipeline.
type Pipe interface {
	Begin(m *transform.Mapping, in transform.Input) *pipeline.Pending
	Handle(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict
}

// DeadLetterer stores payloads that never reach a mapping
// (deadletter.Writer).
type DeadLetterer interface {
	Store(ctx context.Context, key string, l deadletter.Letter) (publish.Ack, error)
}

// NATS takes raw provider payloads from the ingest stream (acknowledged
// only once their verdict is final) and from core NATS requests.
type NATS struct {
	js       jetstream.JetStream
	nc       *nats.Conn
	mappings func() Mappings
	pipe     Pipe
	dlq      DeadLetterer
	cfg      NATSConfig
	log      *slog.Logger
	door     door

	cancel context.CancelFunc
	wg     sync.WaitGroup // the consumer's goroutines
	sub    *nats.Subscription
	reqs   chan struct{}  // bounds concurrent request/reply deliveries
	reqWG  sync.WaitGroup // request/reply deliveries in flight
}

// NewNATS returns the ingestor of a valid cfg (start from
// DefaultNATSConfig); Start begins consuming.
func NewNATS(js jetstream.JetStream, nc *nats.Conn, mappings func() Mappings, pipe Pipe, dlq DeadLetterer, cfg NATSConfig) (*NATS, error) {
	var errs []error
	if js == nil || nc == nil || mappings == nil || pipe == nil || dlq == nil {
		errs = append(errs, errors.New("nats ingest: jetstream, connection, mappings, pipeline and dead letters are required"))
	}
	if err := errors.Join(append(errs, cfg.Validate())...); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &NATS{js: js, nc: nc, mappings: mappings, pipe: pipe, dlq: dlq, cfg: cfg, log: cfg.Logger,
		door: door{ingest: transform.IngestNATS, timeout: cfg.Timeout, pipe: pipe, metrics: cfg.Metrics, tracer: cfg.Tracer, archive: cfg.Archive},
		reqs: make(chan struct{}, cfg.Workers)}, nil
}

// Start creates or updates the durable consumer, subscribes the
// request/reply subject, and starts consuming. The stream must exist.
func (n *NATS) Start(ctx context.Context) error {
	cons, err := n.js.CreateOrUpdateConsumer(ctx, n.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       n.cfg.Consumer,
		Description:   "bridge: maps raw provider payloads to events",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.AckWait,
		MaxDeliver:    -1, // the bridge dead-letters after MaxDeliver itself, so nothing is ever left behind
		MaxAckPending: n.cfg.Batch * n.cfg.Workers * 2,
	})
	if err != nil {
		return fmt.Errorf("nats ingest: consumer %s on %s: %w", n.cfg.Consumer, n.cfg.Stream, err)
	}
	// A short pull expiry: a pull request left by a bridge that died is
	// forgotten quickly, instead of swallowing messages for its default 30s.
	it, err := cons.Messages(jetstream.PullMaxMessages(n.cfg.Batch), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("nats ingest: consume %s: %w", n.cfg.Stream, err)
	}
	n.sub, err = n.nc.QueueSubscribe(n.cfg.ReplyPrefix+".*", n.cfg.QueueGroup, n.request)
	if err != nil {
		it.Stop()
		return fmt.Errorf("nats ingest: subscribe %s.*: %w", n.cfg.ReplyPrefix, err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	work := make(chan job, n.cfg.Workers)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		<-runCtx.Done()
		it.Stop()
	}()
	n.wg.Add(1)
	go n.dispatch(runCtx, it, work)
	for range n.cfg.Workers {
		n.wg.Add(1)
		go n.work(work)
	}
	return nil
}

// Shutdown stops taking messages, lets the ones in hand finish within ctx
// (those not acknowledged come back to another replica after AckWait), and
// drains the request subscription. Safe before Start and twice.
func (n *NATS) Shutdown(ctx context.Context) error {
	var err error
	if n.sub != nil {
		// Drain delivers what is already buffered, then closes the
		// subscription: no request callback runs once it is closed, and
		// closed is closed then.
		closed := n.sub.StatusChanged(nats.SubscriptionClosed)
		err = n.sub.Drain()
		for open := true; open; {
			select {
			case _, open = <-closed:
			case <-ctx.Done():
				open = false
			}
		}
	}
	if n.cancel != nil {
		n.cancel()
	}
	done := make(chan struct{})
	go func() { n.reqWG.Wait(); n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		return errors.Join(err, fmt.Errorf("nats ingest: %w", ctx.Err()))
	}
}

type job struct {
	msg     jetstream.Msg
	pending *pipeline.Pending
	meta    *jetstream.MsgMetadata
	ctx     context.Context // holds the delivery's span; never cancelled
	span    tracing.Span
}

// dispatch reads messages in stream order and accepts each (Begin) in that
// order, so the events of one entity keep the stream's order; workers then
// store them concurrently.
func (n *NATS) dispatch(ctx context.Context, it jetstream.MessagesContext, work chan<- job) {
	defer n.wg.Done()
	defer close(work)
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return
			}
			n.log.Warn("nats ingest: fetch", "err", err)
			continue
		}
		if !n.accept(ctx, msg, work) {
			return
		}
	}
}

// accept reads one message and accepts it (Begin) or dead-letters it; it
// returns false when the ingestor is stopping. A panic while handling the
// message dead-letters it as deadletter.ReasonPanic instead of ending the process.
func (n *NATS) accept(ctx context.Context, msg jetstream.Msg, work chan<- job) (more bool) {
	meta, err := msg.Metadata()
	if err != nil {
		n.log.Error("nats ingest: message without metadata", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return true
	}
	var span tracing.Span // the zero Span, until it starts, ignores Finish
	defer func() {
		if r := recover(); r != nil {
			n.panicked(ctx, msg, meta, r)
			span.Finish(tracing.Result{Outcome: pipeline.DeadLettered.String(), Reason: string(deadletter.ReasonPanic)})
			more = true
		}
	}()
	in, m, reason, derr := n.input(msg.Subject(), msg.Headers(), msg.Data(), meta.Timestamp)
	n.cfg.Metrics.Received(metricsProvider(m), transform.IngestNATS)
	tctx, span := n.startSpan(msg.Subject(), m, &in)
	if reason != "" {
		span.Finish(n.deadLetterAndAck(ctx, msg, in, m, natsDeliveryKey(msg.Subject()), reason, derr))
		return true
	}
	pending := n.door.begin(m, in)
	select {
	case work <- job{msg: msg, pending: pending, meta: meta, ctx: tctx, span: span}:
		return true
	case <-ctx.Done():
		_ = msg.Nak() // not accepted: let it come back
		span.Finish(tracing.Result{Outcome: pipeline.Failed.String(), Err: ctx.Err()})
		return false
	}
}

// panicked dead-letters a stream message whose handling panicked, with the
// panic's value as the error and its stack in the log, then terminates it
// (or, when the dead letter cannot be stored, lets it come back).
func (n *NATS) panicked(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, r any) {
	in, m := n.rawInput(msg.Subject(), msg.Headers(), msg.Data(), meta.Timestamp)
	n.log.Error("nats ingest: panic while handling a message; dead-lettering it", "subject", msg.Subject(),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	n.deadLetterAndAck(ctx, msg, in, m, natsDeliveryKey(msg.Subject()), deadletter.ReasonPanic, fmt.Errorf("panic: %v", r))
}

// input turns a NATS message into a transform input; a non-empty reason
// means it never reaches a rule and is dead-lettered as it is.
func (n *NATS) input(subject string, h nats.Header, data []byte, received time.Time) (transform.Input, *transform.Mapping, deadletter.Reason, error) {
	in, m := n.rawInput(subject, h, data, received)
	if m == nil || !m.Accepts(transform.IngestNATS) {
		return in, nil, deadletter.ReasonNoMapping, fmt.Errorf("no mapping file takes NATS payloads of provider %q", in.Provider)
	}
	payload, err := jsonx.Decode(data)
	if err != nil {
		return in, m, deadletter.ReasonNotJSON, err
	}
	in.Payload = payload
	return in, m, "", nil
}

// rawInput is input without the payload decoded: the message as a dead
// letter keeps it, and its provider's mapping file (nil: none).
func (n *NATS) rawInput(subject string, h nats.Header, data []byte, received time.Time) (transform.Input, *transform.Mapping) {
	provider := n.providerOf(subject)
	m, ok := n.mappings().Mapping(provider)
	var drop []string
	if ok { // the header the file's webhook scheme reads a credential from, as the webhook door drops it
		drop = signature.CredentialHeaders(m.Verifier)
	}
	in := transform.NewInput(provider, transform.IngestNATS, data, http.Header(h), received.UTC(), drop...)
	tc := tracing.FromHeader(in.Header)
	in.TraceParent, in.TraceState = tc.TraceParent, tc.TraceState
	if !ok {
		return in, nil
	}
	return in, m
}

// startSpan starts the span of one delivery, a child of the message's
// traceparent header, and puts on in the trace context its events carry.
// The returned context holds the span and is never cancelled.
func (n *NATS) startSpan(subject string, m *transform.Mapping, in *transform.Input) (context.Context, tracing.Span) {
	ctx, span, tc := n.door.startSpan(context.Background(), metricsProvider(m),
		tracing.Context{TraceParent: in.TraceParent, TraceState: in.TraceState})
	in.TraceParent, in.TraceState = tc.TraceParent, tc.TraceState
	span.SetString(tracing.AttrMsgDestination, subject)
	return ctx, span
}

// providerOf returns the provider token of ingest.<provider>[.<anything>],
// or of <ReplyPrefix>.<provider> for a request.
func (n *NATS) providerOf(subject string) string {
	if rest, ok := strings.CutPrefix(subject, n.cfg.ReplyPrefix+"."); ok {
		p, _, _ := strings.Cut(rest, ".")
		return p
	}
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

func (n *NATS) work(jobs <-chan job) {
	defer n.wg.Done()
	for j := range jobs {
		n.finish(j)
	}
}

// finish stores one accepted message and acknowledges it (or lets it come
// back). A panic while storing it dead-letters it as deadletter.ReasonPanic instead of
// ending the process.
func (n *NATS) finish(j job) {
	ctx := j.ctx
	defer func() {
		if r := recover(); r != nil {
			n.panicked(ctx, j.msg, j.meta, r)
			j.span.Finish(tracing.Result{Outcome: pipeline.DeadLettered.String(), Reason: string(deadletter.ReasonPanic)})
		}
	}()
	last := int(j.meta.NumDelivered) >= n.cfg.MaxDeliver // a failure is then dead-lettered, and counted so
	v := n.door.run(ctx, providerOfMsg(n, j.msg), j.meta.Timestamp, j.pending.Finish, !last)
	res := traceResult(v)
	switch {
	case v.Outcome != pipeline.Failed:
		if err := j.msg.Ack(); err != nil {
			// It comes back after AckWait and is then answered as a duplicate.
			n.log.Warn("nats ingest: ack", "subject", j.msg.Subject(), "err", err)
		}
	case last:
		in, m, _, _ := n.input(j.msg.Subject(), j.msg.Headers(), j.msg.Data(), j.meta.Timestamp)
		key := v.IdempotencyKey
		if key == "" {
			key = natsDeliveryKey(j.msg.Subject())
		}
		res = n.deadLetterAndAck(ctx, j.msg, in, m, key, deadletter.ReasonMaxDeliveries,
			fmt.Errorf("not stored after %d deliveries: %w", j.meta.NumDelivered, v.Err))
	default:
		delay := nakDelay(j.meta.NumDelivered)
		n.log.Warn("nats ingest: not stored; will retry", "subject", j.msg.Subject(), "delivery", j.meta.NumDelivered,
			"retry_in", delay, "idempotencykey", v.IdempotencyKey, "err", v.Err)
		_ = j.msg.NakWithDelay(delay)
	}
	j.span.Finish(res)
}

// nakDelay grows with each delivery: 1s, 2s, 4s ... up to a minute, jittered.
func nakDelay(delivered uint64) time.Duration {
	d := time.Second << min(delivered-1, 6)
	d = min(d, time.Minute)
	return d/2 + rand.N(d/2+1)
}

// natsDeliveryKey names a NATS delivery that has no idempotency key (it
// never reached a mapping): its subject. With the reason and the body's
// hash it makes the dead letter's identity, so a redelivered message, or
// the same body published again, is one dead letter.
func natsDeliveryKey(subject string) string { return "nats:" + subject }

// deadLetterAndAck stores a payload that never reached a rule (or could not
// be stored in MaxDeliver attempts) in the dead letters under the identity
// of key, reason and body (deadletter.ID), then terminates the
// message; if the dead letter cannot be stored either, the message is
// Nak'ed and comes back. It returns what the delivery's span records.
func (n *NATS) deadLetterAndAck(ctx context.Context, msg jetstream.Msg, in transform.Input, m *transform.Mapping, key string, reason deadletter.Reason, cause error) tracing.Result {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.Timeout)
	defer cancel()
	file := ""
	if m != nil {
		file = m.File
	}
	ack, err := n.dlq.Store(dctx, key, deadletter.Letter{
		Provider: in.Provider, Reason: reason, Error: cause.Error(), File: file, Ingest: transform.IngestNATS,
		ReceivedAt: in.ReceivedAt, Header: in.Header, Body: in.Body,
	})
	if err != nil {
		n.log.Error("nats ingest: dead letter not stored; will retry", "subject", msg.Subject(), "reason", reason, "err", err)
		_ = msg.NakWithDelay(5 * time.Second)
		return tracing.Result{Outcome: pipeline.Failed.String(), Reason: string(reason), Err: err}
	}
	p := metricsProvider(m)
	if ack.Duplicate {
		n.log.Info("dead letter already stored", "provider", in.Provider, "ingest", transform.IngestNATS, "reason", reason, "subject", msg.Subject())
	} else {
		n.log.Warn("dead-lettered", "provider", in.Provider, "ingest", transform.IngestNATS, "reason", reason, "error", pipeline.LogText(cause))
		n.cfg.Metrics.DeadLettered(p, transform.IngestNATS, string(reason))
	}
	n.cfg.Metrics.Done(p, transform.IngestNATS, pipeline.DeadLettered.String(), in.ReceivedAt)
	_ = msg.Term()
	return tracing.Result{Outcome: pipeline.DeadLettered.String(), Reason: string(reason)}
}

// metricsProvider is the provider label: the mapping's provider, or
// "unknown" so that labels stay bounded by the mapping set.
func metricsProvider(m *transform.Mapping) string {
	if m == nil {
		return metrics.UnknownProvider
	}
	return m.Provider
}

func providerOfMsg(n *NATS, msg jetstream.Msg) string {
	if m, ok := n.mappings().Mapping(n.providerOf(msg.Subject())); ok {
		return m.Provider
	}
	return metrics.UnknownProvider
}
