package tracing

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Names of the W3C trace-context fields: the HTTP headers (any case), the
// NATS message headers the bridge writes (lower case), and the CloudEvents
// distributed-tracing extension attributes.
const (
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// MaxTraceStateLen is the longest tracestate kept; a longer one is dropped
// (W3C asks that at least 512 characters be passed on, and every byte of it
// counts against the event's size bound).
const MaxTraceStateLen = 512

// Context is a W3C trace context: a traceparent and its tracestate. The
// zero value is none. Parse and FromHeader return only valid ones.
type Context struct {
	TraceParent string // version-traceid-parentid-flags in lower-case hex; empty: none
	TraceState  string // vendor entries; always empty without TraceParent
}

// IsZero reports whether c holds no trace context.
func (c Context) IsZero() bool { return c.TraceParent == "" }

// Parse validates a traceparent and its tracestate. An invalid traceparent
// yields the zero Context (the tracestate goes with it); an invalid or too
// long tracestate is dropped and the traceparent kept. Neither is an error:
// a broken trace context never stops a delivery.
func Parse(traceparent, tracestate string) Context {
	if !ValidTraceParent(traceparent) {
		return Context{}
	}
	c := Context{TraceParent: traceparent}
	if tracestate != "" && len(tracestate) <= MaxTraceStateLen {
		if _, err := trace.ParseTraceState(tracestate); err == nil {
			c.TraceState = tracestate
		}
	}
	return c
}

// Canonical forms of the header names, as net/http keys them.
const (
	canonicalTraceParent = "Traceparent"
	canonicalTraceState  = "Tracestate"
)

// FromHeader reads the trace context of HTTP headers with canonical names,
// as net/http stores them (the NATS ingestor canonicalizes a message's
// headers the same way). More than one traceparent is invalid; several
// tracestate headers are one list.
func FromHeader(h http.Header) Context {
	// Indexed by the canonical names: Values would canonicalize the key,
	// one allocation per call, on every delivery.
	tp := h[canonicalTraceParent]
	if len(tp) != 1 {
		return Context{}
	}
	ts := h[canonicalTraceState]
	state := ""
	switch len(ts) {
	case 0:
	case 1:
		state = ts[0]
	default:
		state = strings.Join(ts, ",")
	}
	return Parse(tp[0], state)
}

// ValidTraceParent reports whether s is a W3C traceparent the bridge
// accepts: two lower-case hex digits of version (not ff), a 32-digit trace
// id and a 16-digit parent id that are not all zeros, and two digits of
// flags, joined by '-'. Version 00 has exactly these four fields and only
// the sampled and random flags; a later version may append fields after
// another '-'. These are the rules OpenTelemetry's propagator applies, so
// a traceparent passed through with tracing off is one it would continue.
func ValidTraceParent(s string) bool {
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	version, traceID, spanID, flags := s[0:2], s[3:35], s[36:52], s[53:55]
	if !lowerHex(version) || version == "ff" || !lowerHex(traceID) || !lowerHex(spanID) || !lowerHex(flags) {
		return false
	}
	if allZeros(traceID) || allZeros(spanID) {
		return false
	}
	if version == "00" {
		return len(s) == 55 && flags[0] == '0' && flags[1] <= '3'
	}
	return len(s) == 55 || s[55] == '-'
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// carrier lets the OpenTelemetry propagator read and write a Context.
type carrier Context

func (c *carrier) Get(key string) string {
	switch key {
	case HeaderTraceParent:
		return c.TraceParent
	case HeaderTraceState:
		return c.TraceState
	}
	return ""
}

func (c *carrier) Set(key, value string) {
	switch key {
	case HeaderTraceParent:
		c.TraceParent = value
	case HeaderTraceState:
		c.TraceState = value
	}
}

func (c *carrier) Keys() []string { return []string{HeaderTraceParent, HeaderTraceState} }
