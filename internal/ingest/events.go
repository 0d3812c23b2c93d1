package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/ingest/envelope"
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

// jwtLeeway is the clock skew allowed on a JWT's exp, nbf and iat.
const jwtLeeway = 30 * time.Second

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
	// With EventsAuthJWT only: the iss the token must carry, one of its
	// aud, and the longest exp - iat accepted (the token must then carry
	// iat). Empty or 0: not checked.
	JWTIssuer      string
	JWTAudience    string
	JWTMaxLifetime time.Duration
	Logger         *slog.Logger
	Metrics        *metrics.Set
	Tracer         *tracing.Tracer // nil: tracing off (an incoming traceparent is passed on unchanged)
	// Bodies bounds the memory of the bodies being read and handled,
	// shared with the webhooks; nil: no bound.
	Bodies  *BodyBudget
	Archive Archiver // nil: deliveries are not archived
}

// Events serves POST /events/, /events and /events/others: an envelope in,
// an envelope out (HTTP 200, the status in the answer's name).
type Events struct {
	set    func() EventSet
	door   door
	cfg    EventsConfig
	server *eventsprotocol.Server
	logs   *LogSampler // rejections, sampled per reason
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
	if cfg.Auth != EventsAuthJWT && (cfg.JWTIssuer != "" || cfg.JWTAudience != "" || cfg.JWTMaxLifetime != 0) {
		errs = append(errs, fmt.Errorf("events: JWT issuer, audience and max lifetime apply to auth jwt only, not %s", cfg.Auth))
	}
	if cfg.JWTMaxLifetime < 0 {
		errs = append(errs, fmt.Errorf("events: JWT max lifetime must be 0 (no limit) or more, got %s", cfg.JWTMaxLifetime))
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
	e := &Events{set: set, cfg: cfg, logs: NewLogSampler(RejectLogBurst, RejectLogInterval),
		door: door{ingest: transform.IngestEvents, timeout: cfg.Timeout, pipe: pipe, metrics: cfg.Metrics, tracer: cfg.Tracer, archive: cfg.Archive}}
	opts := []eventsprotocol.ServerOption{
		eventsprotocol.WithMaxBodyBytes(cfg.BodyLimit),
		eventsprotocol.WithFallback(eventsprotocol.HandlerFunc(e.serve)),
		eventsprotocol.WithLogger(cfg.Logger),
		eventsprotocol.WithRefusals(e.refused),
	}
	if cfg.Bodies != nil {
		// Envelopes share the webhooks' budget of body bytes in memory.
		opts = append(opts, eventsprotocol.WithBodyReader(func(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, func(), error) {
			body, release, err := cfg.Bodies.ReadBody(w, r, limit)
			if errors.Is(err, ErrOverBudget) {
				err = &eventsprotocol.BusyError{RetryAfter: time.Second, Err: err}
			}
			return body, release, err
		}))
	}
	if cfg.Auth != EventsAuthNone {
		// The credential is checked on the raw bytes, before the envelope
		// is parsed: an unauthenticated caller reaches only Peek's scan.
		opts = append(opts, eventsprotocol.WithAuthenticator(e.authenticate))
	}
	srv, err := eventsprotocol.NewServer(opts...)
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
	r, isHTTP := eventsprotocol.HTTPRequest(ctx)
	if isHTTP {
		header = r.Header
	}
	incoming := tracing.FromHeader(header)
	if incoming.IsZero() {
		tp, _ := req.Metadata[tracing.HeaderTraceParent].(string)
		ts, _ := req.Metadata[tracing.HeaderTraceState].(string)
		incoming = tracing.Parse(tp, ts)
	}
	var span tracing.Span
	var tc tracing.Context
	if isHTTP { // the request's context is ctx's parent: the envelope's deadline is kept
		var rctx context.Context
		rctx, span, tc = e.door.startRequest(r.WithContext(ctx), metrics.UnknownProvider, incoming)
		ctx = rctx
	} else {
		ctx, span, tc = e.door.startSpan(ctx, metrics.UnknownProvider, incoming)
	}
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
	// The decoded payload is memory beside the body: charged to the same
	// budget; without room, the caller retries as when the store is down.
	releaseTree, ok := e.cfg.Bodies.Charge(treeCharge(e.cfg.Bodies, e.cfg.BodyLimit, req.Payload))
	defer releaseTree()
	if !ok {
		e.cfg.Metrics.Received(metrics.UnknownProvider, transform.IngestEvents)
		e.cfg.Metrics.Rejected(metrics.UnknownProvider, transform.IngestEvents, "over_budget", received)
		res.Outcome, res.Reason = tracing.OutcomeRejected, "over_budget"
		return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixFailedDependency, eventsprotocol.CodeEventStoreUnavailable, nil)
	}
	in, err := envelope.Input(req, header, received)
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
	v := e.door.deliver(ctx, m, in)
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

// authenticate checks the envelope's auth.token, read from the raw bytes
// before the envelope is parsed (eventsprotocol.WithAuthenticator), against
// the configured mode; it never says why in the answer, only in the log.
func (e *Events) authenticate(_ context.Context, p eventsprotocol.Peeked) error {
	err := e.check(p.Token)
	if err != nil {
		// Counted by refused; only the log says why.
		e.logs.Log(e.cfg.Logger, slog.LevelInfo, time.Now(), "unauthorized", "rejected", "ingest", transform.IngestEvents,
			"event", p.Name, "reason", "unauthorized", "err", err)
	}
	return err
}

// refusalReasons name, in bridge_rejections_total, the answers the
// protocol's server gives itself.
var refusalReasons = map[string]string{
	eventsprotocol.CodeInvalidCommunicationProtocol: "bad_protocol",
	eventsprotocol.CodeUnauthorized:                 "unauthorized",
	eventsprotocol.CodeInvalidEventName:             "invalid_name",
	eventsprotocol.CodeIdentityWithAuth:             "identity_with_auth",
}

// refused counts a call the protocol's server answered before reaching
// the bridge: not an envelope, not authenticated, a bad name, identity
// with auth.
func (e *Events) refused(_ context.Context, code, name string) {
	reason, ok := refusalReasons[code]
	if !ok {
		reason = strings.ToLower(code)
	}
	e.cfg.Metrics.Received(metrics.UnknownProvider, transform.IngestEvents)
	e.cfg.Metrics.Rejected(metrics.UnknownProvider, transform.IngestEvents, reason, time.Now().UTC())
	if code != eventsprotocol.CodeUnauthorized { // authenticate logged it, with why
		e.logs.Log(e.cfg.Logger, slog.LevelInfo, time.Now(), reason, "rejected", "ingest", transform.IngestEvents, "event", name, "reason", reason)
	}
}

// check verifies a token: equal to the secret, or a JWT signed HS256 with
// it, unexpired, with the configured issuer, audience and lifetime.
func (e *Events) check(tok string) error {
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
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(jwtLeeway)}
	if e.cfg.JWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(e.cfg.JWTIssuer))
	}
	if e.cfg.JWTAudience != "" {
		opts = append(opts, jwt.WithAudience(e.cfg.JWTAudience))
	}
	if e.cfg.JWTMaxLifetime > 0 {
		opts = append(opts, jwt.WithIssuedAt())
	}
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(tok, &claims, func(*jwt.Token) (any, error) { return []byte(e.cfg.Secret), nil }, opts...)
	if err != nil {
		return fmt.Errorf("auth.token: %w", err)
	}
	if max := e.cfg.JWTMaxLifetime; max > 0 {
		if claims.IssuedAt == nil {
			return errors.New("auth.token: no iat claim, and the lifetime is limited")
		}
		if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life > max {
			return fmt.Errorf("auth.token: lifetime %s (exp - iat) exceeds %s", life, max)
		}
	}
	return nil
}
