package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Suffix ends an answer's name, "<request name>:<suffix>", and says how the
// request went.
type Suffix string

// The suffixes of the protocol. Every one but SuffixResponse is a failure.
const (
	SuffixResponse         Suffix = "response"          // the request was handled
	SuffixError            Suffix = "error"             // a generic failure on the server's side
	SuffixBadRequest       Suffix = "bad_request"       // the requester sent something wrong
	SuffixUnauthorized     Suffix = "unauthorized"      // auth could not be read, or grants no permission
	SuffixNotFound         Suffix = "not_found"         // the server does not know this event
	SuffixForbidden        Suffix = "forbidden"         // the identity may not access the resource
	SuffixFailedDependency Suffix = "failed_dependency" // a dependency did not answer as expected
)

// errorSuffixes are the suffixes ErrorFor accepts.
var errorSuffixes = map[Suffix]bool{
	SuffixError: true, SuffixBadRequest: true, SuffixUnauthorized: true,
	SuffixNotFound: true, SuffixForbidden: true, SuffixFailedDependency: true,
}

// The names of the two answers that do not follow "<name>:<suffix>".
const (
	NameEventNotFound = "eventNotFound" // no handler for the request's name and version
	NameBadProtocol   = "badProtocol"   // the request was not an envelope
)

// Codes of the error payloads this package and the bridge send.
const (
	CodeNoEventHandlerFound          = "NO_EVENT_HANDLER_FOUND"         // eventNotFound; parameters event, version
	CodeInvalidCommunicationProtocol = "INVALID_COMMUNICATION_PROTOCOL" // badProtocol; parameters missingProperty or message
	CodeInvalidEventName             = "INVALID_EVENT_NAME"             // bad_request; parameters name
	CodeIdentityWithAuth             = "IDENTITY_WITH_AUTH"             // bad_request; no parameters
	CodeEventRejected                = "EVENT_REJECTED"                 // bad_request (bridge); parameters rule, field, reason
	CodeUnauthorized                 = "UNAUTHORIZED"                   // unauthorized (bridge); no parameters
	CodeEventStoreUnavailable        = "EVENT_STORE_UNAVAILABLE"        // failed_dependency (bridge); no parameters
	CodeUnhandledError               = "UNHANDLED_ERROR"                // error; a handler failed without an answer
)

// ErrorPayload is the payload of every error answer: an upper-snake code a
// program can switch on, and parameters that say what and where.
type ErrorPayload struct {
	Code       string         `json:"code"`
	Parameters map[string]any `json:"parameters"`
}

// ResponseFor returns the answer "<name>:response" to req, carrying
// payload (encoded with encoding/json; nil becomes {}) and the request's
// version, in the form the request sent it, id and flowId.
func ResponseFor(req *Envelope, payload any) (*Envelope, error) {
	if payload == nil {
		payload = struct{}{}
	}
	raw, err := marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: response for %q: encoding payload: %w", req.Name, err)
	}
	return answerFor(req, SuffixResponse, raw), nil
}

// ErrorFor returns the error answer "<name>:<suffix>" to req, carrying the
// payload {"code": code, "parameters": parameters} (nil parameters become
// {}) and the request's version, in the form the request sent it, id and
// flowId. The suffix must be one of the error suffixes.
func ErrorFor(req *Envelope, suffix Suffix, code string, parameters map[string]any) (*Envelope, error) {
	if !errorSuffixes[suffix] {
		return nil, fmt.Errorf("eventsprotocol: error for %q: suffix %q is not an error suffix (error, bad_request, unauthorized, not_found, forbidden, failed_dependency)", req.Name, suffix)
	}
	raw, err := marshal(ErrorPayload{Code: code, Parameters: orEmpty(parameters)})
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: error for %q: encoding parameters: %w", req.Name, err)
	}
	return answerFor(req, suffix, raw), nil
}

// EventNotFoundFor returns the reference server's answer to a request no
// handler takes: eventNotFound, version 1, the request's id and flowId, and
// {"code": "NO_EVENT_HANDLER_FOUND", "parameters": {"event": <name>,
// "version": <version as an integer>}}.
func EventNotFoundFor(req *Envelope) *Envelope {
	return &Envelope{
		Name:    NameEventNotFound,
		Version: IntVersion(1),
		ID:      req.ID,
		FlowID:  req.FlowID,
		Payload: mustMarshal(ErrorPayload{
			Code:       CodeNoEventHandlerFound,
			Parameters: map[string]any{"event": req.Name, "version": req.Version.Int()},
		}),
	}
}

// BadProtocol returns the reference server's answer to bytes that are not
// an envelope, err being Parse's error: badProtocol, version 1, a fresh id
// and flowId, and {"code": "INVALID_COMMUNICATION_PROTOCOL", "parameters":
// {"missingProperty": <field>}} when a required field is missing, or
// {..., "parameters": {"message": <err>}} otherwise.
func BadProtocol(err error) *Envelope {
	params := map[string]any{}
	if missing := (*MissingFieldError)(nil); errors.As(err, &missing) {
		params["missingProperty"] = missing.Field
	} else if err != nil {
		params["message"] = err.Error()
	}
	return &Envelope{
		Name:    NameBadProtocol,
		Version: IntVersion(1),
		ID:      uuid.NewString(),
		FlowID:  uuid.NewString(),
		Payload: mustMarshal(ErrorPayload{Code: CodeInvalidCommunicationProtocol, Parameters: params}),
	}
}

func answerFor(req *Envelope, suffix Suffix, payload json.RawMessage) *Envelope {
	return &Envelope{
		Name:    req.Name + ":" + string(suffix),
		Version: req.Version,
		ID:      req.ID,
		FlowID:  req.FlowID,
		Payload: payload,
	}
}

// marshal encodes v as compact JSON without escaping HTML characters.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// mustMarshal encodes values built here of strings, ints and maps of them,
// which cannot fail to encode.
func mustMarshal(v any) json.RawMessage {
	raw, err := marshal(v)
	if err != nil {
		panic("eventsprotocol: encoding a built-in answer: " + err.Error())
	}
	return raw
}
