package ingest

import (
	"net/http"
	"sync"
)

// members are the extension members of a delivery's problem: the
// provider it was sent to and, when not empty, reason, a short
// machine-readable cause (a signature rejection's "missing", "expired").
func members(provider, reason string) map[string]any {
	m := make(map[string]any, 2)
	if provider != "" {
		m["provider"] = provider
	}
	if reason != "" {
		m["reason"] = reason
	}
	return m
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
