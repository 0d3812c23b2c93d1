package ingest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Provider string `json:"provider,omitempty"`
	// Reason is a short machine-readable cause (e.g. a signature rejection's
	// "missing", "expired").
	Reason string `json:"reason,omitempty"`
}

// problemType returns the type URI of a problem slug; the slugs are listed in
// docs/http-api.md.
func problemType(slug string) string { return "urn:bridge:problem:" + slug }

// writeProblem writes p as application/problem+json; retryAfter > 0 adds the
// Retry-After header.
func writeProblem(w http.ResponseWriter, r *http.Request, slug string, p Problem, retryAfter time.Duration) {
	p.Type = problemType(slug)
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// verdictBufs holds the buffers answers are written from: Write copies
// what it is given, so a buffer is free again once it returns.
var verdictBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeVerdict writes b as application/json, with the newline
// json.Encoder ends it with.
func writeVerdict(w http.ResponseWriter, status int, b *VerdictBody) {
	buf := verdictBufs.Get().(*[]byte)
	*buf = append(b.appendJSON((*buf)[:0]), '\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(*buf)
	if cap(*buf) <= 64<<10 { // a rare huge answer is not kept
		verdictBufs.Put(buf)
	}
}
