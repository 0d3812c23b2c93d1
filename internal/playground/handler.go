package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Defaults of Config.
const (
	DefaultBodyLimit     = 1 << 20 // bytes of a POST /api/map body
	DefaultMaxConcurrent = 4       // dry runs at once; more are answered 503
)

// MaxMappingSize bounds the text of a mapping given inline: with the
// bounds transform checks at load (expression size and count), it bounds
// what compiling it costs.
const MaxMappingSize = 256 << 10

// bodyReadTimeout bounds the reading of a POST /api/map body.
const bodyReadTimeout = 30 * time.Second

// maxExamplePayload bounds a fixture payload GET /api/mappings/{provider}
// shows as an example; a larger one is listed without its content.
const maxExamplePayload = 256 << 10

// Config is what the playground needs of the running bridge.
type Config struct {
	// Mappings returns the running mapping set; nil while none is loaded.
	Mappings func() *transform.Set
	// SchemasDir is the running set's schemas directory: an edited mapping
	// validates data against the same schemas.
	SchemasDir string
	// About says which bridge the page looks at; nil: only the build.
	About func() About
	// BodyLimit bounds a POST /api/map body; default DefaultBodyLimit.
	BodyLimit int64
	// MaxConcurrent bounds the dry runs in progress; default DefaultMaxConcurrent.
	MaxConcurrent int
	// Limits bound each dry run's evaluation; zero fields take
	// transform.DefaultLimits'.
	Limits transform.Limits
	// Worker, when set, runs each dry run in a child process with memory
	// and CPU limits (see Worker); nil: in this process.
	Worker *Worker
	// Logger receives the answers to requests that fail on the server's
	// side; default: discarded.
	Logger *slog.Logger
	// MutualTLS says the public listener requires client certificates
	// (--tls-client-ca): scheme none's none-unverified warning does not
	// apply and is left out.
	MutualTLS bool
}

// About describes the running bridge for the page's header.
type About struct {
	Version      string    `json:"version"`
	Commit       string    `json:"commit"`
	GoVersion    string    `json:"go_version"`
	NATSURL      string    `json:"nats_url,omitempty"` // credentials left out
	NATSEmbedded bool      `json:"nats_embedded"`
	LoadedAt     time.Time `json:"-"` // when the running mapping set was loaded
}

// Handler serves the playground page and its API.
type Handler struct {
	cfg  Config
	busy chan struct{} // one token per dry run in progress
}

// New returns the playground's handler; zero fields of cfg take their
// defaults.
func New(cfg Config) *Handler {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Limits.Steps <= 0 {
		cfg.Limits.Steps = transform.DefaultLimits.Steps
	}
	if cfg.Limits.Bytes <= 0 {
		cfg.Limits.Bytes = transform.DefaultLimits.Bytes
	}
	if cfg.Limits.Time <= 0 {
		cfg.Limits.Time = transform.DefaultLimits.Time
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mappings == nil {
		cfg.Mappings = func() *transform.Set { return nil }
	}
	return &Handler{cfg: cfg, busy: make(chan struct{}, cfg.MaxConcurrent)}
}

// Register serves the page and the API on mux:
//
//	GET  /playground                the page (and /playground/app.js, /playground/style.css)
//	GET  /api/mappings              the bridge and its running mapping set
//	GET  /api/mappings/{provider}   a mapping file's text and its fixtures' payloads
//	GET  /api/catalog               every type the running set can emit
//	POST /api/map                   a dry run, as `bridge map`
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /playground", secure(http.HandlerFunc(servePage)))
	mux.HandleFunc("GET /playground/{$}", func(w http.ResponseWriter, r *http.Request) {
		// Relative, as the page's links are, so that it works behind a path prefix.
		w.Header().Set("Location", "../playground")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	mux.Handle("GET /playground/", secure(http.StripPrefix("/playground/", staticFiles())))
	mux.HandleFunc("GET /api/mappings", h.listMappings)
	mux.HandleFunc("GET /api/mappings/{provider}", h.mappingFile)
	mux.HandleFunc("GET /api/catalog", h.catalog)
	mux.HandleFunc("POST /api/map", h.dryRun)
}

// mapRequest is the body of POST /api/map.
type mapRequest struct {
	Provider string `json:"provider"`
	// Payload is the provider's body: a JSON value, or a JSON string that
	// holds the raw body (a form body, or JSON to keep byte for byte).
	Payload     json.RawMessage   `json:"payload"`
	ContentType string            `json:"content_type"` // default application/json
	Headers     map[string]string `json:"headers"`
	// Mapping is a mapping file's text, used instead of the provider's file.
	Mapping *string `json:"mapping"`
}

// dryRun answers POST /api/map: 200 with an Answer, or a problem: 400 for a
// mapping that does not load (with its errors and their positions), a body
// or payload that does not read; 404 for an unknown provider; 413, 415; 422
// for a mapping that exceeds its evaluation budget on the payload; 503
// while the bridge starts or too many dry runs are in progress. A dry run
// whose client goes away stops (its evaluation is cancelled).
func (h *Handler) dryRun(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, r, "unsupported-media-type", http.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json)", nil)
		return
	}
	// The admin listener sets no read timeout; a body that trickles in is
	// cut off here.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	var req mapRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.cfg.BodyLimit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(w, r, "too-large", http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit), nil)
			return
		}
		writeProblem(w, r, "invalid-body", http.StatusBadRequest, "the body must be a JSON object with provider, payload, content_type, headers and mapping: "+err.Error(), nil)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeProblem(w, r, "invalid-body", http.StatusBadRequest, "the body must hold one JSON object", nil)
		return
	}
	set := h.cfg.Mappings()
	if set == nil {
		writeProblem(w, r, "not-ready", http.StatusServiceUnavailable, "no mapping set is loaded yet", nil)
		return
	}
	// Compiling and mapping is the work to bound, once the body is in.
	select {
	case h.busy <- struct{}{}:
		defer func() { <-h.busy }()
	default:
		writeProblem(w, r, "busy", http.StatusServiceUnavailable, fmt.Sprintf("%d dry runs are in progress; try again", cap(h.busy)), nil)
		return
	}
	src, merr := h.source(set, req)
	if merr != nil {
		merr.write(w, r)
		return
	}
	// A payload that is missing or unreadable is answered after the
	// mapping is compiled: its problems and warnings come first, and "the
	// mapping loads" is then true.
	body, err := payloadBytes(req.Payload)
	payloadErr := ""
	if err != nil {
		payloadErr = err.Error()
	}
	j := job{Path: src.path, Text: string(src.text), Body: body, PayloadError: payloadErr, ContentType: req.ContentType, Headers: req.Headers,
		ReceivedAt: time.Now().UTC(), SchemasDir: h.cfg.SchemasDir, Limits: h.cfg.Limits, MutualTLS: h.cfg.MutualTLS}
	if h.cfg.Worker != nil {
		h.isolated(w, r, set, j)
		return
	}
	h.evaluate(r.Context(), w, r, j, set)
}

// evaluate compiles the job's mapping (schemas only from those of set) and
// answers the dry run of its payload on w. It stops, writing nothing, when
// ctx is done.
func (h *Handler) evaluate(ctx context.Context, w http.ResponseWriter, r *http.Request, j job, set *transform.Set) {
	// Schemas only from those the running set compiled: an edited mapping
	// reads no file of its own choosing.
	m, problems, warnings := transform.ParseWithWarnings(j.Path, []byte(j.Text), transform.Options{PlaceholderSecrets: true, SchemasDir: j.SchemasDir, SchemasOf: set})
	warnings = applicable(warnings, j.MutualTLS)
	if len(problems) > 0 {
		(&mapError{http.StatusBadRequest, "invalid-mapping", fmt.Sprintf("the mapping does not load: %d problem(s)", len(problems)), problems, warnings}).write(w, r)
		return
	}
	if j.PayloadError != "" {
		writeProblem(w, r, "invalid-payload", http.StatusBadRequest, j.PayloadError, warningsExt(warnings))
		return
	}
	in := Input{Body: j.Body, ContentType: j.ContentType, Headers: j.Headers, ReceivedAt: j.ReceivedAt}
	// The dry run stops when the client goes away, and when it exceeds its
	// budget: both runs of it (the answer's and the fixture's) share one
	// deadline.
	runCtx, cancel := context.WithTimeout(ctx, j.Limits.Time)
	defer cancel()
	res, err := MapContext(runCtx, m, in, j.Limits)
	if err != nil {
		writeProblem(w, r, "invalid-payload", http.StatusBadRequest, "payload: "+err.Error(), warningsExt(warnings))
		return
	}
	if h.stopped(ctx, w, r, m, res) {
		return
	}
	a := Describe(m, res)
	a.Warnings = warnings
	if res.Failure == nil {
		fix, err := FixtureFor(runCtx, m, in, j.Limits)
		var be *transform.BudgetError
		switch {
		case ctx.Err() != nil:
			return // the client is gone
		case errors.As(err, &be):
			// The answer stands; only its fixture is over budget.
			h.cfg.Logger.Info("playground: no fixture for a dry run", "provider", m.Provider, "err", err)
		case err != nil:
			h.cfg.Logger.Warn("playground: no fixture for a dry run", "provider", m.Provider, "err", err)
		default:
			a.Fixture = fix
		}
	}
	writeJSON(w, http.StatusOK, a)
}

// stopped answers a dry run that exceeded its evaluation budget (422, with
// the rule, the field and the limit), and says whether the dry run stopped:
// over budget, or its client gone (nothing is written then).
func (h *Handler) stopped(ctx context.Context, w http.ResponseWriter, r *http.Request, m *transform.Mapping, res transform.Result) bool {
	if ctx.Err() != nil {
		h.cfg.Logger.Debug("playground: dry run cancelled, the client is gone", "provider", m.Provider)
		return true
	}
	var be *transform.BudgetError
	if res.Failure == nil || !errors.As(res.Failure.Err, &be) {
		return false
	}
	ext := map[string]any{"limit": be.What, "field": res.Failure.Field}
	rule := ""
	if res.Rule != nil {
		ext["rule"] = res.Rule.Name
		rule = fmt.Sprintf("rule %q, ", res.Rule.Name)
	}
	writeProblem(w, r, "budget-exceeded", http.StatusUnprocessableEntity,
		fmt.Sprintf("the mapping exceeds the evaluation budget on this payload (%s%s); a delivery would be dead-lettered as eval_error", rule, res.Failure.Error()), ext)
	return true
}

var providerRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// mappingSource is the text of the mapping a dry run uses, and the path it
// is compiled as.
type mappingSource struct {
	path string
	text []byte
}

// source returns the request's mapping text, or else the provider's file
// as it is on disk now, as `bridge map` reads it. It is compiled with
// placeholder secrets, never the real ones, and aside from the running
// set.
func (h *Handler) source(set *transform.Set, req mapRequest) (mappingSource, *mapError) {
	loaded, ok := set.Mapping(req.Provider)
	var src mappingSource
	switch {
	case req.Mapping != nil && len(*req.Mapping) > MaxMappingSize:
		return src, &mapError{http.StatusRequestEntityTooLarge, "too-large",
			fmt.Sprintf("the mapping is %d bytes; the playground takes at most %d", len(*req.Mapping), MaxMappingSize), nil, nil}
	case req.Mapping != nil:
		src.text = []byte(*req.Mapping)
		// The loaded file's path: a rule's `schema` resolves against it
		// and the positions read as in `bridge check`.
		switch {
		case ok:
			src.path = loaded.File
		case providerRE.MatchString(req.Provider):
			src.path = filepath.Join(set.Dir, req.Provider+".yaml")
		default:
			src.path = filepath.Join(set.Dir, "playground.yaml")
		}
	case req.Provider == "":
		return src, &mapError{http.StatusBadRequest, "invalid-body", "provider or mapping is required", nil, nil}
	case !ok:
		return src, &mapError{http.StatusNotFound, "unknown-provider",
			fmt.Sprintf("no mapping file for provider %q (have %s)", req.Provider, strings.Join(set.Providers(), ", ")), nil, nil}
	default:
		src.path = loaded.File
		var err error
		if src.text, err = os.ReadFile(src.path); err != nil {
			return src, &mapError{http.StatusBadRequest, "invalid-mapping", "the mapping does not load",
				[]*transform.Diagnostic{{File: src.path, Msg: err.Error()}}, nil}
		}
	}
	return src, nil
}

// mapError is why a dry run has no mapping to run: the answer's status,
// problem type and detail, and the problems and warnings of a mapping that
// does not load.
type mapError struct {
	status   int
	slug     string
	detail   string
	problems []*transform.Diagnostic
	warnings []*transform.Warning
}

// write answers the problem.
func (e *mapError) write(w http.ResponseWriter, r *http.Request) {
	var ext map[string]any
	if e.problems != nil {
		ext = map[string]any{"errors": problemList(e.problems)}
		if len(e.warnings) > 0 {
			ext["warnings"] = e.warnings
		}
	}
	writeProblem(w, r, e.slug, e.status, e.detail, ext)
}

// warningsExt is the problem extension that carries a mapping's warnings
// (nil for none).
func warningsExt(ws []*transform.Warning) map[string]any {
	if len(ws) == 0 {
		return nil
	}
	return map[string]any{"warnings": ws}
}

// applicable leaves out the warnings that do not apply to this bridge:
// none-unverified when its listener requires client certificates.
func applicable(ws []*transform.Warning, mutualTLS bool) []*transform.Warning {
	return transform.ForListener(ws, mutualTLS)
}

// mappingError is one problem of a mapping that does not load.
type mappingError struct {
	Message string `json:"message"`
	Line    int    `json:"line"`   // 1-based; 0 for the whole file
	Column  int    `json:"column"` // 1-based; 0 when unknown
	Rule    string `json:"rule,omitempty"`
	File    string `json:"file"`
}

func problemList(ps []*transform.Diagnostic) []mappingError {
	out := make([]mappingError, len(ps))
	for i, p := range ps {
		msg := p.Msg
		if p.Rule != "" {
			msg = fmt.Sprintf("rule %q: %s", p.Rule, msg)
		}
		out[i] = mappingError{Message: msg, Line: p.Line, Column: p.Column, Rule: p.Rule, File: p.File}
	}
	return out
}

// payloadBytes returns the body a request's payload stands for.
func payloadBytes(raw json.RawMessage) ([]byte, error) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return nil, errors.New("payload is required: the provider's body, as JSON or as a string")
	case strings.HasPrefix(s, `"`):
		var body string
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		return []byte(body), nil
	}
	return []byte(s), nil
}

// writeProblem writes a problem+json answer; a 503 carries Retry-After.
func writeProblem(w http.ResponseWriter, r *http.Request, slug string, status int, detail string, ext map[string]any) {
	var retry time.Duration
	if status == http.StatusServiceUnavailable {
		retry = time.Second
	}
	problem.Write(w, r, slug, status, detail, ext, retry)
}

func writeJSON(w http.ResponseWriter, status int, v any) { problem.JSON(w, status, v) }
