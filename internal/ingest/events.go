package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Events-protocol authentication modes.
const (
	EventsAuthNone  = "none"  // any caller
	EventsAuthToken = "token" // auth.token equals the secret
	EventsAuthJWT   = "jwt"   // auth.token is a JWT signed with HS256 by the secret, not expired
)

// EventSet is the mapping set as the events endpoint sees it: the files that
// accept the events protocol are tried in lexical order of provider.
type EventSet interface {
	Mappings
	Providers() []string
}

// EventsConfig configures the events-protocol endpoint.
type EventsConfig struct {
	BodyLimit int64            // largest envelope, default 1 MiB
	Timeout   time.Duration    // one call's deadline, publish retries included; > 0
	Auth      string           // EventsAuthNone (default), EventsAuthToken or EventsAuthJWT
	Secret    signature.Secret // the token or the JWT key; required unless Auth is none
	Logger    *slog.Logger
	Metrics   *metrics.Metrics
	Tracer    *tracing.Tracer // nil: tracing off (an incoming traceparent is passed on unchanged)
}

// Events serves POST /events/, /events and /events/others: an envelope in,
// an envelope out (HTTP 200, the status in the answer's name).
type Events struct {
	set    func() EventSet
	pipe   Handler
	cfg    EventsConfig
	server *eventsprotocol.Server
}

// NewEvents returns the endpoint.
func NewEvents(set func() EventSet, pipe Handler, cfg EventsConfig) (*Events, error) {
	var errs []error
	if set == nil || pipe == nil {
		errs = append(errs, errors.New("events: mapping set and pipeline are required"))
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, errors.New("events: timeout must be > 0"))
	}
	switch cfg.Auth {
	case "":
		cfg.Auth = EventsAuthNone
	case EventsAuthNone:
	case EventsAuthToken, EventsAuthJWT:
		if cfg.Secret == "" {
			errs = append(errs, fmt.Errorf("events: auth %s needs a secret", cfg.Auth))
		}
	default:
		errs = append(errs, fmt.Errorf("events: unknown auth %q (want none, token or jwt)", cfg.Auth))
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = eventsprotocol.DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e := &Events{set: set, pipe: pipe, cfg: cfg}
	srv, err := eventsprotocol.NewServer(
		eventsprotocol.WithMaxBodyBytes(cfg.BodyLimit),
		eventsprotocol.WithFallback(eventsprotocol.HandlerFunc(e.serve)),
		eventsprotocol.WithLogger(cfg.Logger),
	)
	if err != nil {
		return nil, err
	}
	e.server = srv
	return e, nil
}

// Register adds the events routes to mux.
func (e *Events) Register(mux *http.ServeMux) {
	for _, p := range []string{"/events", "/events/", "/events/others"} {
		mux.Handle(p, e.server)
	}
}

// serve traces a call as one delivery span, a child of the request's
// traceparent header (else of the envelope's metadata.traceparent), around
// deliver.
func (e *Events) serve(ctx context.Context, req *eventsprotocol.Envelope) (*eventsprotocol.Envelope, error) {
	var header http.Header
	if r, ok := eventsprotocol.HTTPRequest(ctx); ok {
		header = r.Header
	}
	incoming := tracing.FromHeader(header)
	if incoming.IsZero() {
		tp, _ := req.Metadata[tracing.HeaderTraceParent].(string)
		ts, _ := req.Metadata[tracing.HeaderTraceState].(string)
		incoming = tracing.Parse(tp, ts)
	}
	ctx, span, tc := e.cfg.Tracer.StartDelivery(ctx, transform.IngestEvents, metrics.UnknownProvider, incoming)
	res := tracing.Result{FlowID: req.FlowID}
	out, err := e.deliver(ctx, req, header, tc, &res)
	span.Finish(res)
	return out, err
}

// deliver authorizes a call, finds the mapping file that takes it, runs it
// through the pipeline with the trace context tc for its events, and
// answers; res receives what the delivery's span records.
func (e *Events) deliver(ctx context.Context, req *eventsprotocol.Envelope, header http.Header, tc tracing.Context, res *tracing.Result) (*eventsprotocol.Envelope, error) {
	received := time.Now().UTC()
	if err := e.authorize(req); err != nil {
		e.cfg.Metrics.Received(metrics.UnknownProvider, transform.IngestEvents)
		e.cfg.Metrics.Rejected(metrics.UnknownProvider, transform.IngestEvents, "unauthorized", received)
		e.cfg.Logger.Info("rejected", "ingest", transform.IngestEvents, "event", req.Name, "reason", "unauthorized", "err", err)
		res.Outcome, res.Reason = tracing.OutcomeRejected, "unauthorized"
		return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixUnauthorized, eventsprotocol.CodeUnauthorized, nil)
	}
	in, err := transform.EnvelopeInput(req, header, received)
	if err != nil {
		res.Outcome, res.Reason = tracing.OutcomeRejected, "invalid_payload"
		return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixBadRequest, eventsprotocol.CodeEventRejected,
			map[string]any{"rule": "", "field": "payload", "reason": err.Error()})
	}
	in.TraceParent, in.TraceState = tc.TraceParent, tc.TraceState
	set := e.set()
	var m *transform.Mapping
	for _, p := range set.Providers() {
		if c, ok := set.Mapping(p); ok && c.Accepts(transform.IngestEvents) && c.Matches(in) {
			m = c
			break
		}
	}
	if m == nil {
		e.cfg.Metrics.Received(metrics.UnknownProvider, transform.IngestEvents)
		e.cfg.Metrics.Rejected(metrics.UnknownProvider, transform.IngestEvents, "event_not_found", received)
		res.Outcome, res.Reason = tracing.OutcomeRejected, "event_not_found"
		return eventsprotocol.EventNotFoundFor(req), nil
	}
	in.Provider = m.Provider
	e.cfg.Metrics.Received(m.Provider, transform.IngestEvents)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	v := e.pipe.Handle(ctx, m, in)
	e.cfg.Metrics.Done(m.Provider, transform.IngestEvents, v.Outcome.String(), received)
	flow := res.FlowID
	*res = traceResult(v)
	res.Provider, res.FlowID = m.Provider, flow
	switch v.Outcome {
	case pipeline.Published, pipeline.Duplicate, pipeline.Dropped:
		_, body := Answer(v)
		return eventsprotocol.ResponseFor(req, body)
	case pipeline.DeadLettered:
		params := map[string]any{"rule": v.Rule, "field": v.Field, "reason": v.Reason, "error": v.Err.Error()}
		if v.DeadLetterDuplicate {
			params["duplicate"] = true // this very envelope is already in the dead letters
		}
		return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixBadRequest, eventsprotocol.CodeEventRejected, params)
	}
	e.cfg.Logger.Error("event not stored", "provider", m.Provider, "ingest", transform.IngestEvents, "event", req.Name,
		"rule", v.Rule, "idempotencykey", v.IdempotencyKey, "error", v.Err)
	return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixFailedDependency, eventsprotocol.CodeEventStoreUnavailable, nil)
}

// authorize checks auth.token against the configured mode; it never says
// why in the answer, only in the log.
func (e *Events) authorize(req *eventsprotocol.Envelope) error {
	if e.cfg.Auth == EventsAuthNone {
		return nil
	}
	tok, _ := req.Auth["token"].(string)
	if tok == "" {
		return errors.New("no auth.token")
	}
	switch e.cfg.Auth {
	case EventsAuthToken:
		a, b := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(e.cfg.Secret))
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return errors.New("auth.token does not match")
		}
		return nil
	}
	_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(e.cfg.Secret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return fmt.Errorf("auth.token: %w", err)
	}
	return nil
}
