package remap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/problem"
)

// Bounds of POST /api/remap.
const (
	apiLimitDefault = 100  // deliveries a dry run looks at without a limit
	apiLimitMax     = 1000 // the most it looks at
	apiBodyMax      = 4 << 10
	apiTimeout      = time.Minute
)

// HandlerConfig is what the admin API's remap handler serves with.
type HandlerConfig struct {
	// Remapper returns a remapper on the running mappings, without a
	// pipeline (a dry run stores nothing); nil while the bridge is
	// starting (503).
	Remapper func() *Remapper
	// Enabled says whether the archive is on; off, every request is
	// answered 409.
	Enabled bool
}

// Handler serves POST /api/remap: the dry run of `bridge remap` over a
// provider's archived deliveries, bounded.
type Handler struct{ cfg HandlerConfig }

// NewHandler returns the handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Remapper == nil {
		return nil, errors.New("remap handler: the remapper is required")
	}
	return &Handler{cfg: cfg}, nil
}

// Register mounts POST /api/remap on mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc("POST /api/remap", h.dryRun) }

// request is the body of POST /api/remap.
type request struct {
	Provider string `json:"provider"`
	Since    string `json:"since"`    // "90m", "24h", "7d"
	FromSeq  uint64 `json:"from_seq"` // a RAW stream sequence
	Limit    int    `json:"limit"`    // 1..apiLimitMax, default apiLimitDefault
	DryRun   *bool  `json:"dry_run"`  // must be true (or left out): the API only dry-runs
}

// answer is the dry run's report with the deliveries it looked at.
type answer struct {
	Report
	Summary string   `json:"summary"`
	Results []Result `json:"results"`
	// Truncated says the limit stopped the dry run before the last
	// selected delivery.
	Truncated bool `json:"truncated"`
}

func (h *Handler) dryRun(w http.ResponseWriter, r *http.Request) {
	// Only JSON: a page on another site can POST a form to a loopback
	// address, but not application/json without a CORS preflight.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		problem.Respond(w, r, "unsupported-media-type", problem.Problem{Status: http.StatusUnsupportedMediaType,
			Detail: "send the remap request as application/json"}, 0)
		return
	}
	if !h.cfg.Enabled {
		problem.Respond(w, r, "archive-off", problem.Problem{Status: http.StatusConflict, Title: "Archive off",
			Detail: "the raw archive is off (--archive=false): there is nothing to remap"}, 0)
		return
	}
	var req request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, apiBodyMax))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		problem.Respond(w, r, "invalid-body", problem.Problem{Status: http.StatusBadRequest, Title: "Invalid body",
			Detail: "the remap request: " + err.Error()}, 0)
		return
	}
	o, err := req.options()
	if err != nil {
		problem.Respond(w, r, "invalid-body", problem.Problem{Status: http.StatusBadRequest, Title: "Invalid body",
			Detail: err.Error()}, 0)
		return
	}
	rm := h.cfg.Remapper()
	if rm == nil {
		problem.Respond(w, r, "not-ready", problem.Problem{Status: http.StatusServiceUnavailable, Detail: "the bridge is still starting"}, time.Second)
		return
	}
	ans := answer{Results: []Result{}}
	rm.OnResult = func(res Result) { ans.Results = append(ans.Results, res) }
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(apiTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	rep, err := rm.Remap(ctx, o)
	ans.Report, ans.Summary = rep, rep.Summary()
	if rep.Error == ErrLimit.Error() {
		ans.Truncated, ans.Report.Error = true, ""
	}
	if err != nil {
		status, slug := http.StatusServiceUnavailable, "store-unavailable"
		if errors.Is(err, archive.ErrInvalidFilter) {
			status, slug = http.StatusBadRequest, "invalid-body"
		}
		problem.Respond(w, r, slug, problem.Problem{Status: status, Detail: err.Error(),
			Ext: map[string]any{"report": ans}}, 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(ans)
}

// options are the request's, checked: every problem at once.
func (req request) options() (Options, error) {
	o := Options{DryRun: true, Filter: archive.Filter{Provider: req.Provider, FromSeq: req.FromSeq}, Limit: apiLimitDefault}
	var errs []error
	if req.DryRun != nil && !*req.DryRun {
		errs = append(errs, errors.New("dry_run: the admin API only dry-runs; store with bridge remap"))
	}
	if req.Since != "" {
		d, err := eventlog.ParseSince(req.Since)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("since %q: want a positive duration such as 90m, 24h or 7d", req.Since))
		}
		o.Filter.Since = d
	}
	if req.Limit != 0 {
		if req.Limit < 1 || req.Limit > apiLimitMax {
			errs = append(errs, fmt.Errorf("limit %d: want 1 to %d", req.Limit, apiLimitMax))
		}
		o.Limit = req.Limit
	}
	if len(errs) == 0 {
		if err := o.Filter.Validate(); err != nil {
			errs = append(errs, errors.New(strings.TrimPrefix(err.Error(), archive.ErrInvalidFilter.Error()+": ")))
		}
	}
	return o, errors.Join(errs...)
}
