package tracing

import (
	"net/http"
	"strings"
	"testing"
)

const (
	validTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	validTS = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
)

func TestValidTraceParent(t *testing.T) {
	tests := []struct {
		name string
		tp   string
		want bool
	}{
		{"sampled", validTP, true},
		{"not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"random flag", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", true},
		{"empty", "", false},
		{"upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", false},
		{"all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"all-zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"version 00 with another field", validTP + "-what", false},
		{"version 00 with reserved flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", false},
		{"later version", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", true},
		{"later version with another field", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", true},
		{"later version, field not separated", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01what", false},
		{"short trace id", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
		{"short parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", false},
		{"wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false},
		{"not hex", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false},
		{"leading space", " " + validTP[:54], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidTraceParent(tc.tp); got != tc.want {
				t.Errorf("ValidTraceParent(%q) = %v, want %v", tc.tp, got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		tp, ts string
		want   Context
	}{
		{"both", validTP, validTS, Context{validTP, validTS}},
		{"no tracestate", validTP, "", Context{TraceParent: validTP}},
		{"invalid traceparent takes the tracestate with it", "00-bad", validTS, Context{}},
		{"invalid tracestate is dropped", validTP, "not a list member", Context{TraceParent: validTP}},
		{"too long tracestate is dropped", validTP, "a=" + strings.Repeat("b", MaxTraceStateLen), Context{TraceParent: validTP}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.tp, tc.ts); got != tc.want {
				t.Errorf("Parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFromHeader(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want Context
	}{
		{"none", http.Header{}, Context{}},
		{"canonical names", http.Header{"Traceparent": {validTP}, "Tracestate": {validTS}}, Context{validTP, validTS}},
		{"two traceparents", http.Header{"Traceparent": {validTP, validTP}}, Context{}},
		{"set with lower-case names", func() http.Header {
			h := http.Header{}
			h.Set("traceparent", validTP)
			h.Set("tracestate", validTS)
			return h
		}(), Context{validTP, validTS}},
		{"two tracestates are one list", http.Header{"Traceparent": {validTP}, "Tracestate": {"rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"}},
			Context{validTP, validTS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromHeader(tc.h); got != tc.want {
				t.Errorf("FromHeader = %+v, want %+v", got, tc.want)
			}
		})
	}
	// Only a tracestate's check allocates (OpenTelemetry's parser).
	for _, h := range []http.Header{{}, {"Traceparent": {validTP}}} {
		if n := testing.AllocsPerRun(100, func() { _ = FromHeader(h) }); n != 0 {
			t.Errorf("FromHeader(%v) allocates %v times, want 0", h, n)
		}
	}
}

// FuzzParse holds Parse to its promise on any input: no panic, and what it
// keeps is valid.
func FuzzParse(f *testing.F) {
	f.Add(validTP, validTS)
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "a=b,")
	f.Fuzz(func(t *testing.T, tp, ts string) {
		c := Parse(tp, ts)
		if c.IsZero() {
			if c.TraceState != "" {
				t.Fatalf("tracestate %q kept without a traceparent", c.TraceState)
			}
			return
		}
		if c.TraceParent != tp || !ValidTraceParent(c.TraceParent) {
			t.Fatalf("kept traceparent %q of %q", c.TraceParent, tp)
		}
		if c.TraceState != "" && (c.TraceState != ts || len(ts) > MaxTraceStateLen) {
			t.Fatalf("kept tracestate %q of %q", c.TraceState, ts)
		}
	})
}
