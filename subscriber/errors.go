package subscriber

import (
	"errors"
	"fmt"
)

// Dead-letter reasons, the last token of a dead letter's subject and the
// value of its HeaderReason.
const (
	ReasonNotCloudEvent = "not_cloudevent" // sdk-go could not decode the message
	ReasonInvalidEvent  = "invalid_event"  // the event breaks the CloudEvents profile
	ReasonSchema        = "schema"         // data breaks the schema its dataschema names
	ReasonMaxDeliveries = "max_deliveries" // the handler failed MaxDeliver times
	ReasonRejected      = "rejected"       // the handler returned a Permanent error
)

// Permanent marks a handler's error as one that retrying cannot fix (the
// event is fine by the profile but this service cannot take it): the event
// is dead-lettered at once with reason rejected and err's text.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// panicError is a handler's panic, turned into an error that is retried
// like any other.
type panicError struct{ v any }

func (e panicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.v) }
