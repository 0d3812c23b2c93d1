package eventlog

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/problem"
)

// Handler serves the stored events on the admin listener:
//
//	GET /api/events?type=&since=&entity=&limit=   {"events": [...]}, the oldest first
//	GET /api/events/{id}                          one event
//
// reader returns nil until the bridge is connected (503 not-ready).
type Handler struct {
	reader  func() *Reader
	timeout time.Duration
}

// NewHandler serves the events reader returns, each request bounded by
// timeout (a listing reads at most MaxLimit events).
func NewHandler(reader func() *Reader, timeout time.Duration) *Handler {
	return &Handler{reader: reader, timeout: timeout}
}

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/events", h.list)
	mux.HandleFunc("GET /api/events/{id}", h.get)
}

// filterOf reads a listing's query; every problem at once.
func filterOf(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Type: q.Get("type"), Entity: q.Get("entity")}
	var errs []error
	if s := q.Get("since"); s != "" {
		d, err := ParseSince(s)
		if err != nil {
			errs = append(errs, errors.New("since: "+err.Error()))
		}
		f.Since = d
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, errors.New("limit: "+strconv.Quote(s)+" is not a number"))
		}
		f.Limit = n
	}
	if err := f.Validate(); err != nil {
		errs = append(errs, err)
	}
	return f, errors.Join(errs...)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r)
	if err != nil {
		problem.Write(w, r, "invalid-query", http.StatusBadRequest, strings.ReplaceAll(err.Error(), "\n", "; "), nil, 0)
		return
	}
	rd := h.reader()
	if rd == nil {
		problem.Write(w, r, "not-ready", http.StatusServiceUnavailable, "the bridge is still starting", nil, 5*time.Second)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	events, err := rd.List(ctx, f)
	if err != nil {
		problem.Write(w, r, "store-unavailable", http.StatusServiceUnavailable, err.Error(), nil, 5*time.Second)
		return
	}
	if events == nil {
		events = []Event{}
	}
	problem.JSON(w, http.StatusOK, map[string]any{"events": events})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	rd := h.reader()
	if rd == nil {
		problem.Write(w, r, "not-ready", http.StatusServiceUnavailable, "the bridge is still starting", nil, 5*time.Second)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	e, err := rd.Get(ctx, r.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		problem.Write(w, r, "not-found", http.StatusNotFound, err.Error(), nil, 0)
	case errors.Is(err, errNotV7):
		problem.Write(w, r, "invalid-query", http.StatusBadRequest, err.Error(), nil, 0)
	case err != nil:
		problem.Write(w, r, "store-unavailable", http.StatusServiceUnavailable, err.Error(), nil, 5*time.Second)
	default:
		problem.JSON(w, http.StatusOK, e)
	}
}
