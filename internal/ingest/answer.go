package ingest

import (
	"net/http"

	"github.com/bridge-dev/bridge/internal/pipeline"
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
		return http.StatusAccepted, &VerdictBody{DeadLettered: true, Reason: v.Reason, Rule: v.Rule,
			Field: v.Field, Error: v.Err.Error(), IdempotencyKey: v.IdempotencyKey}
	case pipeline.Dropped:
		return http.StatusAccepted, &VerdictBody{Dropped: true, Rule: v.Rule}
	}
	return http.StatusServiceUnavailable, nil
}

func storeUnavailable(provider string) Problem {
	return Problem{Status: http.StatusServiceUnavailable, Title: "Event store unavailable",
		Detail: "JetStream could not store the event; retry later", Provider: provider}
}
