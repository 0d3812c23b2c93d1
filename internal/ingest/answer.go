package ingest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/problem"
)

// VerdictBody is the JSON body that tells a caller what became of its
// delivery: the webhook's 2xx answers, and the NATS request/reply answer.
type VerdictBody struct {
	Status         int                  `json:"status,omitempty"` // set on the NATS reply only (HTTP has its own)
	ID             string               `json:"id,omitempty"`
	Type           string               `json:"type,omitempty"`
	IdempotencyKey string               `json:"idempotencykey,omitempty"`
	Events         *[]pipeline.EventRef `json:"events,omitempty"`
	Duplicate      bool                 `json:"duplicate,omitempty"`
	DeadLettered   bool                 `json:"dead_lettered,omitempty"`
	Dropped        bool                 `json:"dropped,omitempty"`
	Reason         string               `json:"reason,omitempty"`
	Rule           string               `json:"rule,omitempty"`
	Field          string               `json:"field,omitempty"`
	Error          string               `json:"error,omitempty"`
}

// Answer maps a verdict to its HTTP status and body. A Failed verdict has
// no body: the caller answers with a problem (503 and Retry-After).
func Answer(v pipeline.Verdict) (int, *VerdictBody) {
	switch v.Outcome {
	case pipeline.Published, pipeline.Duplicate:
		status := http.StatusAccepted
		if v.Outcome == pipeline.Duplicate {
			status = http.StatusOK
		}
		a := &VerdictBody{Duplicate: v.Outcome == pipeline.Duplicate}
		if v.Many || len(v.Events) != 1 {
			events := v.Events
			if events == nil {
				events = []pipeline.EventRef{}
			}
			a.Events = &events
		} else {
			e := v.Events[0]
			a.ID, a.Type, a.IdempotencyKey = e.ID, e.Type, e.IdempotencyKey
		}
		return status, a
	case pipeline.DeadLettered:
		return http.StatusAccepted, &VerdictBody{DeadLettered: true, Duplicate: v.DeadLetterDuplicate, Reason: v.Reason, Rule: v.Rule,
			Field: v.Field, Error: v.Err.Error(), IdempotencyKey: v.IdempotencyKey}
	case pipeline.Dropped:
		return http.StatusAccepted, &VerdictBody{Dropped: true, Rule: v.Rule}
	}
	return http.StatusServiceUnavailable, nil
}

func storeUnavailable(provider string) problem.Problem {
	return problem.Problem{Status: http.StatusServiceUnavailable, Title: "Event store unavailable",
		Detail: "JetStream could not store the event; retry later", Ext: members(provider, "")}
}

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

// appendJSON appends b as encoding/json marshals it (HTML characters
// escaped, as its Encoder does by default), written out field by field:
// reflection was most of the cost of answering a delivery. A fuzz test
// holds it to encoding/json's output.
func (b *VerdictBody) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	field := func(name string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
	}
	str := func(name, v string) {
		if v != "" {
			field(name)
			dst = appendJSONString(dst, v)
		}
	}
	flag := func(name string, v bool) {
		if v {
			field(name)
			dst = append(dst, "true"...)
		}
	}
	if b.Status != 0 {
		field("status")
		dst = strconv.AppendInt(dst, int64(b.Status), 10)
	}
	str("id", b.ID)
	str("type", b.Type)
	str("idempotencykey", b.IdempotencyKey)
	if b.Events != nil {
		field("events")
		dst = appendEventRefs(dst, *b.Events)
	}
	flag("duplicate", b.Duplicate)
	flag("dead_lettered", b.DeadLettered)
	flag("dropped", b.Dropped)
	str("reason", b.Reason)
	str("rule", b.Rule)
	str("field", b.Field)
	str("error", b.Error)
	return append(dst, '}')
}

func appendEventRefs(dst []byte, refs []pipeline.EventRef) []byte {
	if refs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, e := range refs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, e.ID)
		dst = append(dst, `,"type":`...)
		dst = appendJSONString(dst, e.Type)
		dst = append(dst, `,"idempotencykey":`...)
		dst = appendJSONString(dst, e.IdempotencyKey)
		if e.Duplicate {
			dst = append(dst, `,"duplicate":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendJSONString appends s as a JSON string, as encoding/json writes it.
// Printable ASCII but for the characters it escapes ("\<>&) is written as
// is; anything else is left to encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
