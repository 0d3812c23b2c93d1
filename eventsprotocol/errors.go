package eventsprotocol

import (
	"errors"
	"fmt"
)

// ErrInvalidOption is wrapped by the error of an option whose argument is
// out of range.
var ErrInvalidOption = errors.New("eventsprotocol: invalid option")

// MalformedError reports bytes that are not an envelope at all: not JSON,
// or JSON that is not an object. The server answers it with badProtocol.
type MalformedError struct {
	Err error // the JSON decoder's error, if any
}

func (e *MalformedError) Error() string {
	if e.Err == nil {
		return "eventsprotocol: envelope is not a JSON object"
	}
	return "eventsprotocol: envelope is not a JSON object: " + e.Err.Error()
}

func (e *MalformedError) Unwrap() error { return e.Err }

// MissingFieldError reports a required envelope field (name, version, id,
// flowId or payload) that is absent, null, or an empty string. The server
// answers it with badProtocol and {"missingProperty": Field}.
type MissingFieldError struct {
	Field string // the field's JSON name, e.g. "flowId"
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("eventsprotocol: envelope: missing required field %q", e.Field)
}

// InvalidFieldError reports an envelope field of the wrong JSON type: a
// version that is not an integer, an id that is not a string, an identity
// that is not an object. The server answers it with badProtocol.
type InvalidFieldError struct {
	Field  string // the field's JSON name, e.g. "version"
	Reason string // what was expected and what came
}

func (e *InvalidFieldError) Error() string {
	return fmt.Sprintf("eventsprotocol: envelope: field %q %s", e.Field, e.Reason)
}

// NameError reports an event name that breaks the protocol's pattern. The
// server answers it with <name>:bad_request and the code INVALID_EVENT_NAME.
type NameError struct {
	Name   string // the name as sent
	Reason string // which part is wrong and why
}

func (e *NameError) Error() string {
	return fmt.Sprintf("eventsprotocol: envelope: field \"name\": invalid event name %q: %s", e.Name, e.Reason)
}

// IdentityWithAuthError reports an envelope whose identity and auth both
// carry values, which the protocol forbids. The server answers it with
// <name>:bad_request and the code IDENTITY_WITH_AUTH.
type IdentityWithAuthError struct{}

func (e *IdentityWithAuthError) Error() string {
	return "eventsprotocol: envelope: fields \"identity\" and \"auth\" both carry values; send one of them"
}

// StatusError reports an HTTP answer other than 200: the protocol always
// answers 200, so this comes from something in between (a proxy, a wrong
// URL) rather than from an events server.
type StatusError struct {
	URL        string
	StatusCode int
	Body       []byte // the start of the body, for the message
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("eventsprotocol: POST %s: HTTP %d, want 200 and an envelope: %q", e.URL, e.StatusCode, e.Body)
}
