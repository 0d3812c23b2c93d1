package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ResponseError is an error answer: the server read the request and
// answered that it failed. Every kind of error answer has its own type
// (BadRequestError, EventNotFoundError, ...) embedding a ResponseError, so a
// caller tests for one kind with errors.As and a *BadRequestError target,
// or for any with a *ResponseError target. An answer with an unknown suffix
// is a plain *ResponseError.
type ResponseError struct {
	Response   *Envelope      // the answer as received
	Suffix     Suffix         // the answer name's last part; "" for eventNotFound and badProtocol
	Code       string         // the payload's code; "" when the payload has none
	Parameters map[string]any // the payload's parameters, numbers as json.Number; nil when none
}

func (e *ResponseError) Error() string {
	if e.Response == nil {
		return fmt.Sprintf("eventsprotocol: answer with suffix %q: %s", e.Suffix, e.Code)
	}
	if e.Code == "" {
		return fmt.Sprintf("eventsprotocol: answer %s: payload %s", e.Response.Name, clip(e.Response.Payload))
	}
	params, err := json.Marshal(e.Parameters) // keys sorted
	if err != nil || e.Parameters == nil {
		params = []byte("{}")
	}
	return fmt.Sprintf("eventsprotocol: answer %s: %s %s", e.Response.Name, e.Code, params)
}

// As lets errors.As find the ResponseError embedded in every typed kind.
func (e *ResponseError) As(target any) bool {
	if t, ok := target.(**ResponseError); ok {
		*t = e
		return true
	}
	return false
}

// ServerError is an answer "<name>:error": a generic failure on the
// server's side.
type ServerError struct{ ResponseError }

// BadRequestError is an answer "<name>:bad_request": the request was wrong.
type BadRequestError struct{ ResponseError }

// UnauthorizedError is an answer "<name>:unauthorized": auth could not be
// read, or grants no permission.
type UnauthorizedError struct{ ResponseError }

// NotFoundError is an answer "<name>:not_found".
type NotFoundError struct{ ResponseError }

// ForbiddenError is an answer "<name>:forbidden": the identity may not
// access the resource.
type ForbiddenError struct{ ResponseError }

// FailedDependencyError is an answer "<name>:failed_dependency": a
// dependency of the server did not answer as expected.
type FailedDependencyError struct{ ResponseError }

// EventNotFoundError is the answer eventNotFound: the server has no
// handler for the request's name and version.
type EventNotFoundError struct{ ResponseError }

// BadProtocolError is the answer badProtocol: the server did not read the
// request as an envelope. Parameters holds missingProperty or message.
type BadProtocolError struct{ ResponseError }

// CheckResponse returns nil for an answer whose name ends in ":response",
// and otherwise the typed error for the answer (see ResponseError).
func CheckResponse(resp *Envelope) error {
	switch resp.Name {
	case NameEventNotFound:
		return &EventNotFoundError{newResponseError(resp, "")}
	case NameBadProtocol:
		return &BadProtocolError{newResponseError(resp, "")}
	}
	var suffix Suffix
	if i := strings.LastIndexByte(resp.Name, ':'); i >= 0 {
		suffix = Suffix(resp.Name[i+1:])
	}
	re := newResponseError(resp, suffix)
	switch suffix {
	case SuffixResponse:
		return nil
	case SuffixError:
		return &ServerError{re}
	case SuffixBadRequest:
		return &BadRequestError{re}
	case SuffixUnauthorized:
		return &UnauthorizedError{re}
	case SuffixNotFound:
		return &NotFoundError{re}
	case SuffixForbidden:
		return &ForbiddenError{re}
	case SuffixFailedDependency:
		return &FailedDependencyError{re}
	default:
		return &re
	}
}

// newResponseError reads {"code", "parameters"} from the payload, leaving
// them empty when the payload has another shape.
func newResponseError(resp *Envelope, suffix Suffix) ResponseError {
	re := ResponseError{Response: resp, Suffix: suffix}
	var p struct {
		Code       any `json:"code"`
		Parameters any `json:"parameters"`
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Payload))
	dec.UseNumber()
	if dec.Decode(&p) == nil {
		re.Code, _ = p.Code.(string)
		re.Parameters, _ = p.Parameters.(map[string]any)
	}
	return re
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const max = 200
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "..."
}
