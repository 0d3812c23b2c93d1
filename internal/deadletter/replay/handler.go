package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Bounds of the dead-letter API.
const (
	dlqListDefault   = 100  // dead letters GET /api/dlq answers without a limit
	dlqListMax       = 1000 // the most it answers
	dlqListTimeout   = 30 * time.Second
	dlqReplayBodyMax = 64 << 10
	// DefaultBodyTimeout bounds the arrival of a replay request's body; the
	// replay itself may then run longer than the listener's timeouts, and
	// its answer is written within dlqReplayWriteTimeout of the body.
	DefaultBodyTimeout    = 10 * time.Second
	dlqReplayWriteTimeout = 15 * time.Minute
	// listWriteSlack is the time a listing's answer may take to write.
	listWriteSlack = 10 * time.Second
)

// BodyReader reads a request body within the budget of request bodies in
// memory (ingest.BodyBudget); the error wraps ingest.ErrOverBudget when the
// budget is spent.
type BodyReader interface {
	ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error)
}

// HandlerConfig is what the admin API's dead-letter handler serves with.
type HandlerConfig struct {
	Stream *deadletter.Stream // the dead letters; required
	Bodies BodyReader         // reads replay requests; required
	// Mappings, Pipeline and DeadLetters return what a replay maps and
	// stores with; while one returns nil (the bridge is starting), a
	// replay is answered 503. Required.
	Mappings    func() *transform.Set
	Pipeline    func() *pipeline.Runner
	DeadLetters func() *deadletter.Writer
	// Timeout bounds each dead letter's replay; default DefaultTimeout.
	Timeout time.Duration
	// BodyTimeout bounds the arrival of a replay request's body; default
	// DefaultBodyTimeout.
	BodyTimeout time.Duration
	Logger      *slog.Logger // nil discards
}

// Handler serves the dead letters on the admin listener: GET /api/dlq lists
// them (bodies redacted) and POST /api/dlq/replay maps them again with the
// running mappings, one replay at a time.
type Handler struct {
	cfg       HandlerConfig
	mux       *http.ServeMux
	replaying sync.Mutex
}

// NewHandler returns the handler; it reports every missing part at once.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	var errs []error
	for _, c := range []struct {
		name    string
		missing bool
	}{{"stream", cfg.Stream == nil}, {"bodies", cfg.Bodies == nil}, {"mappings", cfg.Mappings == nil},
		{"pipeline", cfg.Pipeline == nil}, {"dead letters", cfg.DeadLetters == nil}} {
		if c.missing {
			errs = append(errs, fmt.Errorf("dead-letter handler: %s: required", c.name))
		}
	}
	if cfg.Timeout < 0 || cfg.BodyTimeout < 0 {
		errs = append(errs, fmt.Errorf("dead-letter handler: timeout %s, body timeout %s: want 0 (default) or more", cfg.Timeout, cfg.BodyTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /api/dlq", h.listDLQ)
	h.mux.HandleFunc("POST /api/dlq/replay", h.replayDLQ)
	return h, nil
}

// Register mounts the handler's routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/dlq", h.mux)
	mux.Handle("POST /api/dlq/replay", h.mux)
}

// ServeHTTP serves GET /api/dlq and POST /api/dlq/replay.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// listDLQ answers GET /api/dlq?provider=&reason=&since=&limit= with
// {"dead_letters": [...]}, the oldest first, each body with its mapping
// file's redact paths blanked (hidden when no file maps its provider).
func (h *Handler) listDLQ(w http.ResponseWriter, r *http.Request) {
	// A GET has no body to wait for; the listing may take longer than the
	// listener's read and write timeouts (see replayDLQ).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(dlqListTimeout + listWriteSlack))
	f, err := dlqQuery(r.URL.Query())
	if err != nil {
		writeDLQProblem(w, r, "invalid-query", http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dlqListTimeout)
	defer cancel()
	letters, err := h.cfg.Stream.List(ctx, f)
	if err != nil {
		h.dlqError(w, r, err, nil)
		return
	}
	writeDLQJSON(w, http.StatusOK, map[string]any{"dead_letters": Show(letters, h.cfg.Mappings())})
}

// dlqQuery reads the filter of GET /api/dlq: since is a duration as
// everywhere else ("90m", "24h", "7d": eventlog.ParseSince), limit
// 1..dlqListMax (default dlqListDefault).
func dlqQuery(q url.Values) (deadletter.Filter, error) {
	f := deadletter.Filter{Provider: q.Get("provider"), Reason: q.Get("reason"), Limit: dlqListDefault}
	var errs []error
	if s := q.Get("since"); s != "" {
		var err error
		if f.Since, err = eventlog.ParseSince(s); err != nil || f.Since <= 0 {
			errs = append(errs, fmt.Errorf("since %q: want a positive duration such as 90m, 24h or 7d", s))
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > dlqListMax {
			errs = append(errs, fmt.Errorf("limit %q: want 1 to %d", s, dlqListMax))
		}
		f.Limit = n
	}
	if len(errs) == 0 {
		errs = append(errs, f.Validate())
	}
	return f, errors.Join(errs...)
}

// dlqReplayRequest is the body of POST /api/dlq/replay; every field is
// optional, and an empty body replays every dead letter.
type dlqReplayRequest struct {
	Provider string `json:"provider"`
	Reason   string `json:"reason"`
	Since    string `json:"since"` // a Go duration, "24h"
	Limit    int    `json:"limit"` // 0: no limit
	DryRun   bool   `json:"dry_run"`
}

// dlqReplayAnswer is the report of a replay with its verdict.
type dlqReplayAnswer struct {
	Report
	Done    bool   `json:"done"` // every selected dead letter was handled: published, a duplicate or dropped
	Summary string `json:"summary"`
}

// replayDLQ answers POST /api/dlq/replay: the selected dead letters go
// through the running mappings again (see Replayer.Replay); the answer
// is the per-message report. A replay JetStream stops half-way is answered
// 503 problem+json carrying the report so far.
func (h *Handler) replayDLQ(w http.ResponseWriter, r *http.Request) {
	// Only JSON: a page on another site can POST a form to a loopback
	// address, but not application/json without a CORS preflight.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeDLQProblem(w, r, "unsupported-media-type", http.StatusUnsupportedMediaType, "send the replay request as application/json", nil)
		return
	}
	// A body that trickles in is cut off: the read deadline covers it alone.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.cfg.BodyTimeout))
	body, release, err := h.cfg.Bodies.ReadBody(w, r, dlqReplayBodyMax)
	defer release() // by the replay's end, or its refusal; at most 64 KiB
	switch {
	case errors.Is(err, ingest.ErrOverBudget):
		writeDLQProblem(w, r, "over-budget", http.StatusServiceUnavailable, "the request bodies in memory are at --max-inflight-bytes", nil)
		return
	case err != nil:
		writeDLQProblem(w, r, "invalid-body", http.StatusBadRequest, "the body could not be read: "+err.Error(), nil)
		return
	}
	var req dlqReplayRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeDLQProblem(w, r, "invalid-body", http.StatusBadRequest, "the body must be a JSON object with provider, reason, since, limit and dry_run: "+err.Error(), nil)
		return
	}
	// The body is in. Past the read deadline the server's watch of the
	// idle connection would cancel the request's context, and with it a
	// replay half-way; and the answer comes when the replay is done.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(dlqReplayWriteTimeout))
	f := deadletter.Filter{Provider: req.Provider, Reason: req.Reason, Limit: req.Limit}
	if req.Since != "" {
		var err error
		if f.Since, err = eventlog.ParseSince(req.Since); err != nil || f.Since <= 0 {
			writeDLQProblem(w, r, "invalid-body", http.StatusBadRequest, fmt.Sprintf("since %q: want a positive duration such as 90m, 24h or 7d", req.Since), nil)
			return
		}
	}
	if err := f.Validate(); err != nil {
		writeDLQProblem(w, r, "invalid-body", http.StatusBadRequest, err.Error(), nil)
		return
	}
	set, pipe, dead := h.cfg.Mappings(), h.cfg.Pipeline(), h.cfg.DeadLetters()
	if set == nil || pipe == nil || dead == nil {
		writeDLQProblem(w, r, "not-ready", http.StatusServiceUnavailable, "the bridge is still starting", nil)
		return
	}
	if !h.replaying.TryLock() {
		writeDLQProblem(w, r, "replay-in-progress", http.StatusConflict, "another dead-letter replay is running; try again when it is done", nil)
		return
	}
	defer h.replaying.Unlock()
	rp := &Replayer{Stream: h.cfg.Stream, Mappings: set, Pipeline: pipe, DeadLetters: dead,
		Timeout: h.cfg.Timeout, Logger: h.cfg.Logger}
	rep, err := rp.Replay(r.Context(), f, req.DryRun)
	if err != nil {
		h.dlqError(w, r, err, &rep)
		return
	}
	writeDLQJSON(w, http.StatusOK, dlqReplayAnswer{Report: rep, Done: rep.Done(), Summary: rep.Summary()})
}

// dlqError answers a failure to read or replay: 400 for a bad filter, else
// 503 with Retry-After (JetStream or the stream is not there).
func (h *Handler) dlqError(w http.ResponseWriter, r *http.Request, err error, rep *Report) {
	if errors.Is(err, deadletter.ErrInvalidFilter) {
		writeDLQProblem(w, r, "invalid-query", http.StatusBadRequest, err.Error(), nil)
		return
	}
	var ext map[string]any
	if rep != nil {
		ext = map[string]any{"report": dlqReplayAnswer{Report: *rep, Summary: rep.Summary()}}
	}
	writeDLQProblem(w, r, "store-unavailable", http.StatusServiceUnavailable, err.Error(), ext)
}

// writeDLQProblem writes a problem+json answer; a 503 carries Retry-After.
func writeDLQProblem(w http.ResponseWriter, r *http.Request, slug string, status int, detail string, ext map[string]any) {
	var retry time.Duration
	if status == http.StatusServiceUnavailable {
		retry = 5 * time.Second
	}
	problem.Write(w, r, slug, status, detail, ext, retry)
}

func writeDLQJSON(w http.ResponseWriter, status int, v any) { problem.JSON(w, status, v) }
