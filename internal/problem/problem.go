// Package problem writes the admin API's answers: RFC 9457 problem+json
// bodies and plain JSON, never cached.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Write writes a problem+json body whose type is urn:bridge:problem:<slug>,
// with the extension members ext; retryAfter > 0 adds a Retry-After header.
func Write(w http.ResponseWriter, r *http.Request, slug string, status int, detail string, ext map[string]any, retryAfter time.Duration) {
	body := map[string]any{
		"type": "urn:bridge:problem:" + slug, "title": http.StatusText(status), "status": status,
		"detail": detail, "instance": r.URL.Path,
	}
	for k, v := range ext {
		body[k] = v
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// JSON writes v as a JSON body, HTML characters unescaped.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
