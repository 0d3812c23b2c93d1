// Package backfilltest is test support for backfills: a list API over
// real HTTP on loopback that pages as Stripe's Events API does.
package backfilltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is one answer the fake gives instead of a page.
type Fault struct {
	Status     int    // e.g. 429, 500
	RetryAfter string // the Retry-After header; "" none
	Body       string // the body; "" a Stripe-like error object
}

// Stripe is a fake of Stripe's GET /v1/events: events newest first,
// filtered by created[gte], created[lte] and types[], paged by limit
// (default 10, at most 100) and starting_after, with has_more; a request
// without "Authorization: Bearer <Key>" is answered 401.
type Stripe struct {
	URL string // the server's address, ending in /v1/events
	Key string // the API key it takes

	mu       sync.Mutex
	events   []map[string]any // newest first
	faults   []Fault
	delay    time.Duration
	requests int
	loop     bool
	broken   bool
	maxLimit int
}

// NewStripe starts the fake holding events (each with at least id,
// created and type; any order), stopped when t ends.
func NewStripe(t testing.TB, key string, events []map[string]any) *Stripe {
	t.Helper()
	s := &Stripe{Key: key, events: slices.Clone(events)}
	slices.SortStableFunc(s.events, func(a, b map[string]any) int {
		ca, cb := a["created"].(int64), b["created"].(int64)
		switch {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/v1/events"
	return s
}

// Fail makes the next requests answer these faults, one each, in order.
func (s *Stripe) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Slow makes every page wait d before it is answered.
func (s *Stripe) Slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Limit caps the events of a page at n, whatever limit asks: more
// pages for the same events.
func (s *Stripe) Limit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxLimit = n
}

// Loop makes every page say has_more with the first page's cursor: a
// list API that never ends.
func (s *Stripe) Loop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loop = true
}

// Break makes every page a body that is not JSON.
func (s *Stripe) Break() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
}

// Requests is how many requests the fake answered.
func (s *Stripe) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Stripe) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	delay, loop, broken, maxLimit := s.delay, s.loop, s.broken, s.maxLimit
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	events := s.events
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		stripeError(w, http.StatusUnauthorized, "", `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`)
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/v1/events" {
		stripeError(w, http.StatusNotFound, "", "")
		return
	}
	if fault != nil {
		stripeError(w, fault.Status, fault.RetryAfter, fault.Body)
		return
	}
	if broken {
		fmt.Fprint(w, `{"object":"list","data":[{"id":`)
		return
	}
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			stripeError(w, http.StatusBadRequest, "", `{"error":{"type":"invalid_request_error","message":"Invalid limit"}}`)
			return
		}
		limit = n
	}
	if maxLimit > 0 {
		limit = min(limit, maxLimit)
	}
	gte, lte := int64(0), int64(1<<62)
	if v := q.Get("created[gte]"); v != "" {
		gte, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("created[lte]"); v != "" {
		lte, _ = strconv.ParseInt(v, 10, 64)
	}
	types := q["types[]"]
	var match []map[string]any
	for _, e := range events {
		c := e["created"].(int64)
		if c < gte || c > lte || len(types) > 0 && !slices.Contains(types, e["type"].(string)) {
			continue
		}
		match = append(match, e)
	}
	start := 0
	if after := q.Get("starting_after"); after != "" {
		start = -1
		for i, e := range match {
			if e["id"] == after {
				start = i + 1
			}
		}
		if start < 0 {
			stripeError(w, http.StatusBadRequest, "", `{"error":{"type":"invalid_request_error","message":"No such event"}}`)
			return
		}
	}
	end := min(start+limit, len(match))
	page := match[start:end]
	hasMore := end < len(match)
	if loop && len(match) > 0 {
		page, hasMore = match[:min(limit, len(match))], true
	}
	if page == nil {
		page = []map[string]any{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "url": "/v1/events", "has_more": hasMore, "data": page})
}

func stripeError(w http.ResponseWriter, status int, retryAfter, body string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if body == "" {
		body = fmt.Sprintf(`{"error":{"type":"api_error","message":"%s"}}`, http.StatusText(status))
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// Event is a Stripe event object as the webhook delivers it and the
// Events API lists it: a charge.succeeded of charge ch_<n>, created at
// created (Unix seconds).
func Event(n int, created int64) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("evt_%04d", n), "object": "event", "api_version": "2024-06-20", "created": created,
		"livemode": false, "pending_webhooks": 0, "type": "charge.succeeded",
		"request": map[string]any{"id": nil, "idempotency_key": nil},
		"data": map[string]any{"object": map[string]any{
			"id": fmt.Sprintf("ch_%04d", n), "object": "charge", "amount": 1000 + n, "amount_captured": 1000 + n,
			"amount_refunded": 0, "currency": "brl", "status": "succeeded", "paid": true, "refunded": false,
			"customer": nil, "payment_intent": nil, "description": nil, "created": created, "metadata": map[string]any{},
			"payment_method_details": map[string]any{"type": "card", "card": map[string]any{"brand": "visa", "last4": "4242"}},
		}},
	}
}
