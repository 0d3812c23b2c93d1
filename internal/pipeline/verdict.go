// Package pipeline joins the stages (Runner): it applies a provider's
// mapping to an ingested payload, answers a delivery already stored from
// the idempotency store (idem), keeps each entity's events in order (one
// publish at a time per entity), publishes the events or the dead letter
// (deadletter.Writer), and returns the Verdict that every door maps to its
// own protocol (an HTTP status, a NATS ack or nak, an events-protocol
// answer).
package pipeline

import "time"

// Outcome is what became of one delivery.
type Outcome int

// Outcomes. Only Failed asks the caller to retry.
const (
	Published    Outcome = iota + 1 // every event is stored (some may be duplicates)
	Duplicate                       // every event was already stored: a retried delivery
	DeadLettered                    // not mappable; the payload is stored in the dead-letter stream
	Dropped                         // a drop rule matched; nothing stored, on purpose
	Failed                          // JetStream could not store it; the caller must retry
)

func (o Outcome) String() string {
	switch o {
	case Published:
		return "published"
	case Duplicate:
		return "duplicate"
	case DeadLettered:
		return "dead_lettered"
	case Dropped:
		return "dropped"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// EventRef names one stored event.
type EventRef struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	IdempotencyKey string `json:"idempotencykey"`
	Duplicate      bool   `json:"duplicate,omitempty"` // stored before, by an earlier copy of the delivery
}

// Verdict is the pipeline's answer for one delivery.
type Verdict struct {
	Outcome        Outcome
	Events         []EventRef // Published, Duplicate: in publish order
	Many           bool       // the rule makes a list of events (`each`), even when it has 0 or 1
	IdempotencyKey string     // the delivery's key
	Rule           string     // the rule that matched, if any
	File           string     // its mapping file
	Reason         string     // DeadLettered: the dead-letter reason
	Field          string     // DeadLettered: the rule's field that failed, if known
	Err            error      // DeadLettered: why it could not be mapped; Failed: why it could not be stored
	RetryAfter     time.Duration
	// DeadLetterDuplicate (DeadLettered): this very body was dead-lettered
	// before for the same delivery and reason (a retry); the stored dead
	// letter is that one.
	DeadLetterDuplicate bool
}
