package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/tracing"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Mappings finds the mapping file of a provider.
type Mappings interface {
	Mapping(provider string) (*transform.Mapping, bool)
}

// Handler runs a delivery through the pipeline.
type Handler interface {
	Begin(m *transform.Mapping, in transform.Input) *pipeline.Pending
}

// WebhookConfig configures the webhook handler.
type WebhookConfig struct {
	BodyLimit int64           // largest accepted body in bytes; > 0
	Timeout   time.Duration   // deadline of one delivery, publish retries included; > 0
	Logger    *slog.Logger    // nil discards
	Metrics   *metrics.Set    // nil: none
	RateLimit RateLimit       // per provider; the zero value is none
	Bodies    *BodyBudget     // memory of the bodies being read and handled, shared; nil: no bound
	Tracer    *tracing.Tracer // nil: tracing off (an incoming traceparent is passed on unchanged)
	Archive   Archiver        // nil: deliveries are not archived
	Now       func() time.Time
}

// Webhook serves POST /webhooks/{provider}.
type Webhook struct {
	mappings func() Mappings
	door     door
	cfg      WebhookConfig
	log      *slog.Logger
	limits   *limiters // nil: no rate limit
	logs     *LogSampler
}

// NewWebhook returns the webhook handler. mappings is called once per
// request, so a reloaded mapping set takes effect for the next delivery.
func NewWebhook(mappings func() Mappings, h Handler, cfg WebhookConfig) (*Webhook, error) {
	var errs []error
	if mappings == nil || h == nil {
		errs = append(errs, errors.New("webhook: mappings and handler are required"))
	}
	if cfg.BodyLimit <= 0 {
		errs = append(errs, errors.New("webhook: body limit must be > 0"))
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, errors.New("webhook: timeout must be > 0"))
	}
	errs = append(errs, cfg.RateLimit.validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Webhook{mappings: mappings, cfg: cfg,
		door: door{ingest: transform.IngestWebhook, timeout: cfg.Timeout, pipe: h, metrics: cfg.Metrics, tracer: cfg.Tracer, archive: cfg.Archive}, log: cfg.Logger, limits: newLimiters(cfg.RateLimit),
		logs: NewLogSampler(RejectLogBurst, RejectLogInterval)}, nil
}

// Register adds the webhook routes to mux: /webhooks/{provider}, and any
// path below it for providers that append their own suffix to the
// registered URL (the API Pix calls "<url>/pix").
func (wh *Webhook) Register(mux *http.ServeMux) {
	mux.Handle("/webhooks/{provider}", wh)
	mux.Handle("/webhooks/{provider}/{suffix...}", wh)
}

// ServeHTTP traces a delivery as one server span, a child of the request's
// traceparent, around serve.
func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	ctx, span, tc := wh.door.startRequest(r, provider, tracing.FromHeader(r.Header))
	if !span.Recording() {
		wh.serve(ctx, w, r, provider, tc)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	res := wh.serve(ctx, sw, r, provider, tc)
	span.FinishRequest(sw.code, res)
}

// serve checks a delivery cheapest first (provider, rate limit, method,
// content type, size, signature, JSON), then runs it through the pipeline
// with the trace context tc for its events, and answers with the verdict.
// A provider's handshake (its scheme a signature.Challenger for a GET, a
// signature.Handshaker for a signed POST) is answered by the scheme, and
// nothing is stored.
func (wh *Webhook) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, provider string, tc tracing.Context) tracing.Result {
	received := wh.cfg.Now().UTC()
	m, ok := wh.mappings().Mapping(provider)
	if !ok || !m.Accepts(transform.IngestWebhook) {
		wh.cfg.Metrics.Received(metrics.UnknownProvider, transform.IngestWebhook)
		if ok, wait := wh.limits.allowUnknown(received); !ok {
			wh.rateLimited(w, r, provider, false, received, wait)
			return tracing.Result{Outcome: tracing.OutcomeRejected, Reason: "rate_limited"}
		}
		return wh.reject(w, r, metrics.UnknownProvider, received, "unknown_provider", "unknown-provider", problem.Problem{Status: http.StatusNotFound, Title: "Unknown provider",
			Detail: "no mapping file takes webhooks for provider " + strconv.Quote(provider), Ext: members(provider, "")})
	}
	wh.cfg.Metrics.Received(provider, transform.IngestWebhook)
	if ok, wait := wh.limits.allow(provider, received); !ok {
		wh.rateLimited(w, r, provider, true, received, wait)
		return tracing.Result{Outcome: tracing.OutcomeRejected, Reason: "rate_limited"}
	}
	if r.Method != http.MethodPost {
		allow := http.MethodPost
		if c, ok := m.Verifier.(signature.Challenger); ok {
			if r.Method == http.MethodGet {
				reply, err := c.Challenge(r.URL.Query())
				return wh.handshake(w, r, provider, received, reply, err, "invalid-query")
			}
			allow = "GET, POST"
		}
		w.Header().Set("Allow", allow)
		return wh.reject(w, r, provider, received, "method", "method-not-allowed", problem.Problem{Status: http.StatusMethodNotAllowed,
			Detail: "webhooks are delivered with POST, got " + r.Method, Ext: members(provider, "")})
	}
	ct := r.Header.Get("Content-Type")
	if !m.AcceptsContentType(ct) {
		return wh.reject(w, r, provider, received, "content_type", "unsupported-media-type", problem.Problem{Status: http.StatusUnsupportedMediaType,
			Detail: "content type " + strconv.Quote(ct) + " is not accepted; this provider takes " + joinQuoted(m.ContentTypes),
			Ext:    members(provider, "")})
	}
	body, release, err := wh.cfg.Bodies.ReadBody(w, r, wh.cfg.BodyLimit)
	defer release()
	if err != nil {
		return wh.bodyError(w, r, provider, received, err)
	}
	if err := signature.VerifyRequest(m.Verifier, r.URL, r.Header, body, received); err != nil {
		var se *signature.Error
		reason := ""
		if errors.As(err, &se) {
			reason = string(se.Reason)
		}
		return wh.reject(w, r, provider, received, "signature_"+reason, "bad-signature", problem.Problem{Status: http.StatusUnauthorized, Title: "Invalid signature",
			Detail: err.Error(), Ext: members(provider, reason)})
	}
	// A provider's handshake is answered by its scheme; nothing is stored.
	if hs, ok := m.Verifier.(signature.Handshaker); ok {
		if reply, ok, err := hs.Handshake(r.Header, body); ok {
			return wh.handshake(w, r, provider, received, reply, err, "invalid-body")
		}
	}
	// The decoded payload lives as long as the body: charge it too.
	releaseTree, ok := wh.cfg.Bodies.Charge(treeCharge(wh.cfg.Bodies, wh.cfg.BodyLimit, body))
	defer releaseTree()
	if !ok {
		return wh.bodyError(w, r, provider, received, ErrOverBudget)
	}
	payload, err := m.Decode(ct, body)
	if err != nil {
		return wh.reject(w, r, provider, received, "invalid_body", "invalid-body", problem.Problem{Status: http.StatusBadRequest, Title: "Invalid body",
			Detail: err.Error(), Ext: members(provider, "")})
	}
	// After the check, nothing may keep the credential headers.
	in := transform.NewInput(provider, transform.IngestWebhook, body, r.Header, received, signature.CredentialHeaders(m.Verifier)...)
	in.Payload, in.TraceParent, in.TraceState = payload, tc.TraceParent, tc.TraceState
	in.Query = r.URL.Query()
	v := wh.door.deliver(ctx, m, in)
	wh.answer(w, r, provider, v)
	return traceResult(v)
}

// handshake answers a provider's handshake with its scheme's reply, or
// refuses it: 403 forbidden for a wrong token, 400 slug (invalid-query for
// a GET, invalid-body for a POST) for one the scheme will not answer as
// sent. Nothing reaches the pipeline.
func (wh *Webhook) handshake(w http.ResponseWriter, r *http.Request, provider string, received time.Time, reply signature.Reply, err error, slug string) tracing.Result {
	var he *signature.HandshakeError
	if errors.As(err, &he) && he.Forbidden {
		return wh.reject(w, r, provider, received, "handshake_forbidden", "forbidden", problem.Problem{Status: http.StatusForbidden,
			Detail: err.Error(), Ext: members(provider, "")})
	}
	if err != nil {
		title := "" // the status's text
		if slug == "invalid-body" {
			title = "Invalid body" // as every invalid-body problem is titled
		}
		return wh.reject(w, r, provider, received, "handshake_invalid", slug, problem.Problem{Status: http.StatusBadRequest, Title: title,
			Detail: "handshake: " + err.Error(), Ext: members(provider, "")})
	}
	wh.log.Info("handshake answered", "provider", provider, "ingest", transform.IngestWebhook, "method", r.Method)
	h := w.Header()
	h.Set("Content-Type", reply.ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply.Body)
	return tracing.Result{Outcome: "dropped", Reason: "handshake"}
}

// reject answers a delivery refused before the pipeline, counts it and
// logs one line (never the body, never a secret), sampled per reason.
func (wh *Webhook) reject(w http.ResponseWriter, r *http.Request, provider string, received time.Time, reason, slug string, p problem.Problem) tracing.Result {
	wh.cfg.Metrics.Rejected(provider, transform.IngestWebhook, reason, received)
	wh.logs.Log(wh.log, slog.LevelInfo, received, reason, "rejected", "provider", r.PathValue("provider"), "ingest", transform.IngestWebhook,
		"reason", reason, "status", p.Status, "remote", r.RemoteAddr)
	problem.Respond(w, r, slug, p, 0)
	return tracing.Result{Outcome: tracing.OutcomeRejected, Reason: reason}
}

// bodyError answers a body that could not be read: too large (413), over
// the budget of bodies in memory (503 with Retry-After, the connection
// closed on HTTP/1 rather than the rest of the body read), or broken
// (400).
func (wh *Webhook) bodyError(w http.ResponseWriter, r *http.Request, provider string, received time.Time, err error) tracing.Result {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return wh.reject(w, r, provider, received, "too_large", "body-too-large", problem.Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: "the body is larger than the limit of " + strconv.FormatInt(wh.cfg.BodyLimit, 10) + " bytes", Ext: members(provider, "")})
	case errors.Is(err, ErrOverBudget):
		if r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Retry-After", "1")
		return wh.reject(w, r, provider, received, "over_budget", "over-budget", problem.Problem{Status: http.StatusServiceUnavailable, Title: "Busy",
			Detail: "the request bodies in memory are at the limit of " + strconv.FormatInt(wh.cfg.Bodies.Limit(), 10) +
				" bytes (--max-inflight-bytes); retry after 1s", Ext: members(provider, "")})
	}
	return wh.reject(w, r, provider, received, "unreadable_body", "unreadable-body", problem.Problem{Status: http.StatusBadRequest,
		Detail: "the body could not be read: " + err.Error(), Ext: members(provider, "")})
}

func (wh *Webhook) answer(w http.ResponseWriter, r *http.Request, provider string, v pipeline.Verdict) {
	status, body := Answer(v)
	if body != nil {
		writeVerdict(w, status, body)
		return
	}
	wh.log.Error("delivery not stored", "provider", provider, "ingest", transform.IngestWebhook,
		"rule", v.Rule, "idempotencykey", v.IdempotencyKey, "error", v.Err)
	problem.Respond(w, r, "store-unavailable", storeUnavailable(provider), v.RetryAfter)
}

func joinQuoted(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += strconv.Quote(s)
	}
	return out
}
