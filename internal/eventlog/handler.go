package eventlog

import (
	"context"
	"encoding/json"
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
	// History, when set, gives the dead letters of an event's delivery,
	// shown with it by GET /api/events/{id} as "dead_letters".
	History func(ctx context.Context, e Event) (any, error)
	// reads bounds the requests reading the stream at once: each holds up
	// to MaxListBytes of events (and their encodings) in memory.
	reads chan struct{}
}

// MaxConcurrentReads is how many /api/events requests read the stream at
// once; others are answered 503 busy with Retry-After.
const MaxConcurrentReads = 2

// NewHandler serves the events reader returns, each request bounded by
// timeout (a listing reads at most MaxLimit events).
func NewHandler(reader func() *Reader, timeout time.Duration) *Handler {
	return &Handler{reader: reader, timeout: timeout, reads: make(chan struct{}, MaxConcurrentReads)}
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

// acquire takes a read slot, or answers 503 busy and returns false.
func (h *Handler) acquire(w http.ResponseWriter, r *http.Request) bool {
	select {
	case h.reads <- struct{}{}:
		return true
	default:
		problem.Write(w, r, "busy", http.StatusServiceUnavailable,
			"other requests are reading the stored events; retry", nil, time.Second)
		return false
	}
}

func (h *Handler) release() { <-h.reads }

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r)
	if err != nil {
		problem.Write(w, r, "invalid-query", http.StatusBadRequest, strings.ReplaceAll(err.Error(), "\n", "; "), nil, 0)
		return
	}
	if !h.acquire(w, r) {
		return
	}
	defer h.release()
	rd := h.reader()
	if rd == nil {
		problem.Write(w, r, "not-ready", http.StatusServiceUnavailable, "the bridge is still starting", nil, 5*time.Second)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	events, truncated, err := rd.ListPage(ctx, f)
	if err != nil {
		problem.Write(w, r, "store-unavailable", http.StatusServiceUnavailable, err.Error(), nil, 5*time.Second)
		return
	}
	if events == nil {
		events = []Event{}
	}
	body := map[string]any{"events": events}
	if truncated {
		body["truncated"] = true // MaxListBytes reached: narrow the filter or page with since
	}
	problem.JSON(w, http.StatusOK, body)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	if !h.acquire(w, r) {
		return
	}
	defer h.release()
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
	case h.History == nil:
		problem.JSON(w, http.StatusOK, e)
	default:
		hist, err := h.History(ctx, e)
		if err != nil {
			problem.Write(w, r, "store-unavailable", http.StatusServiceUnavailable, "the event's dead letters: "+err.Error(), nil, 5*time.Second)
			return
		}
		problem.JSON(w, http.StatusOK, withHistory{e, hist})
	}
}

// withHistory is an event with the dead letters of its delivery.
type withHistory struct {
	Event
	history any
}

func (w withHistory) MarshalJSON() ([]byte, error) {
	b, err := w.Event.MarshalJSON()
	if err != nil || len(b) < 2 {
		return b, err
	}
	h, err := json.Marshal(w.history)
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1:len(b)-1], `,"dead_letters":`...), h...), '}'), nil
}
