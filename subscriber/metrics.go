package subscriber

import "time"

// Metrics are hooks called as a subscriber works; each may be nil. They
// are called from several goroutines at once and must not block. Event
// types and reasons are bounded sets, fit for metric labels.
type Metrics struct {
	// Handled: the handler returned nil and its key was recorded.
	Handled func(eventType string, took time.Duration)
	// DuplicateSkipped: the event's idempotencykey was already handled (an
	// event stored twice upstream, or a redelivery after a crash), so it
	// was acknowledged without calling the handler.
	DuplicateSkipped func(eventType string)
	// Invalid: the message is not a CloudEvent (ReasonNotCloudEvent),
	// breaks the profile (ReasonInvalidEvent) or its data breaks its
	// schema (ReasonSchema); it is dead-lettered too.
	Invalid func(reason string)
	// Retry: the handler failed and will be tried again after a pause;
	// attempt is the number of the failed attempt, from 1.
	Retry func(eventType string, attempt int)
	// DeadLettered: a message was stored in the dead-letter stream.
	DeadLettered func(reason string)
}

func (m Metrics) handled(t string, d time.Duration) {
	if m.Handled != nil {
		m.Handled(t, d)
	}
}

func (m Metrics) duplicate(t string) {
	if m.DuplicateSkipped != nil {
		m.DuplicateSkipped(t)
	}
}

func (m Metrics) invalid(reason string) {
	if m.Invalid != nil {
		m.Invalid(reason)
	}
}

func (m Metrics) retry(t string, attempt int) {
	if m.Retry != nil {
		m.Retry(t, attempt)
	}
}

func (m Metrics) deadLettered(reason string) {
	if m.DeadLettered != nil {
		m.DeadLettered(reason)
	}
}
