// Package tracingtest is the tests' OpenTelemetry collector: a real OTLP
// over HTTP endpoint (httptest) that counts the exports it receives and
// keeps their bodies, for tests of the bridge's tracing to read.
package tracingtest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TracesPath is where OTLP/HTTP exporters post spans.
const TracesPath = "/v1/traces"

// Collector stands in for an OpenTelemetry collector's OTLP/HTTP receiver:
// it counts the POSTs to /v1/traces and keeps their bodies, gunzipped but
// undecoded (OTLP protobuf holds ids as raw bytes and names as text, enough
// for a test to find them).
type Collector struct {
	*httptest.Server
	mu     sync.Mutex
	posts  int
	bodies [][]byte
	status int
}

// NewCollector starts a collector, closed when t ends.
func NewCollector(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.Close)
	return c
}

func (c *Collector) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != TracesPath {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	c.mu.Lock()
	c.posts++
	c.bodies = append(c.bodies, b)
	status := c.status
	c.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
	}
}

// AnswerWith makes every later POST answered with status (0: 200).
func (c *Collector) AnswerWith(status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = status
}

// Received returns the number of POSTs and their bodies joined.
func (c *Collector) Received() (int, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts, bytes.Join(c.bodies, nil)
}
