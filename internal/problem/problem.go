// Package problem writes the bridge's HTTP error answers: every 4xx and 5xx
// of the webhooks, the admin API and the playground is an RFC 9457
// problem+json body of type urn:bridge:problem:<slug> (the slugs are listed
// in docs/http-api.md), never cached. It also writes the admin API's plain
// JSON answers. It does not decide which problem a request earns: the
// handlers do.
package problem

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string // the type URI, TypeURI(slug); Respond sets it
	Title    string // "" is the status's text
	Status   int
	Detail   string // "" is left out
	Instance string // "" is left out; Respond sets the request's path
	// Ext are the extension members (the webhook's provider, a signature
	// rejection's reason, ...), written after the standard members in key
	// order.
	Ext map[string]any
}

// TypeURI returns the type URI of a problem slug.
func TypeURI(slug string) string { return "urn:bridge:problem:" + slug }

// MarshalJSON writes the standard members in the RFC's order (type, title,
// status, detail, instance), then the extension members in key order.
func (p Problem) MarshalJSON() ([]byte, error) {
	title := p.Title
	if title == "" {
		title = http.StatusText(p.Status)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	member := func(name string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(name)) // member names are plain ASCII
		b.WriteByte(':')
		j, err := json.Marshal(v)
		b.Write(j)
		return err
	}
	_ = member("type", p.Type)
	_ = member("title", title)
	_ = member("status", p.Status)
	if p.Detail != "" {
		_ = member("detail", p.Detail)
	}
	if p.Instance != "" {
		_ = member("instance", p.Instance)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Ext)) {
		if err := member(k, p.Ext[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Respond writes p as application/problem+json, of type TypeURI(slug) and
// for the instance of r's path; retryAfter > 0 adds a Retry-After header
// (in whole seconds, rounded up).
func Respond(w http.ResponseWriter, r *http.Request, slug string, p Problem, retryAfter time.Duration) {
	p.Type, p.Instance = TypeURI(slug), r.URL.Path
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Write is Respond of a problem with the status's text as its title, the
// detail and the extension members ext.
func Write(w http.ResponseWriter, r *http.Request, slug string, status int, detail string, ext map[string]any, retryAfter time.Duration) {
	Respond(w, r, slug, Problem{Status: status, Detail: detail, Ext: ext}, retryAfter)
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
