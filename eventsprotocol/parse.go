package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Parse reads an envelope from untrusted bytes, as the reference server
// does: lenient where the protocol's published clients are untidy, strict
// on what the protocol requires.
//
// Lenient: unknown fields, and unknown keys of identity, auth and metadata,
// are ignored; version may be a number (1) or a numeric string ("1") and
// keeps its form; identity, auth and metadata may be absent or null and
// then read as empty objects. The Content-Type and charset are the HTTP
// layer's business, not Parse's.
//
// Strict: the input must be one JSON object (*MalformedError otherwise);
// name, version, id, flowId and payload must be present, not null, and
// not empty strings (*MissingFieldError); name, id and flowId must be
// strings, version an integer, identity, auth and metadata objects
// (*InvalidFieldError). Field names match exactly, case included. Every
// field problem is reported, joined in the order above; errors.As finds
// the first.
//
// Parse checks neither the name's pattern nor identity XOR auth, which are
// answered differently (see ValidateName and Envelope.ValidateIdentityAuth).
// The payload is kept compacted.
func Parse(data []byte) (*Envelope, error) {
	e := new(Envelope)
	if err := parseInto(e, data); err != nil {
		return nil, err
	}
	return e, nil
}

func parseInto(e *Envelope, data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return &MalformedError{Err: err}
	}
	if fields == nil { // the input was null
		return &MalformedError{}
	}

	var out Envelope
	err := join(
		readString(fields, "name", &out.Name),
		readVersion(fields, &out.Version),
		readString(fields, "id", &out.ID),
		readString(fields, "flowId", &out.FlowID),
		readPayload(fields, &out.Payload),
		readObject(fields, "identity", &out.Identity),
		readObject(fields, "auth", &out.Auth),
		readObject(fields, "metadata", &out.Metadata),
	)
	if err != nil {
		return err
	}
	*e = out
	return nil
}

// join is errors.Join, except that a lone error comes back as itself, so
// a type assertion on it works as well as errors.As.
func join(errs ...error) error {
	var lone error
	n := 0
	for _, err := range errs {
		if err != nil {
			lone = err
			n++
		}
	}
	if n <= 1 {
		return lone
	}
	return errors.Join(errs...)
}

// present returns the raw value of a field that is there and not null.
func present(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

func readString(fields map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := present(fields, name)
	if !ok {
		return &MissingFieldError{Field: name}
	}
	if raw[0] != '"' {
		return &InvalidFieldError{Field: name, Reason: "must be a string, got " + jsonKind(raw)}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return &InvalidFieldError{Field: name, Reason: "must be a string: " + err.Error()}
	}
	if s == "" {
		return &MissingFieldError{Field: name}
	}
	*dst = s
	return nil
}

func readVersion(fields map[string]json.RawMessage, dst *Version) error {
	raw, ok := present(fields, "version")
	if !ok {
		return &MissingFieldError{Field: "version"}
	}
	v, err := parseVersion(raw)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

func readPayload(fields map[string]json.RawMessage, dst *json.RawMessage) error {
	raw, ok := fields["payload"]
	if !ok {
		return &MissingFieldError{Field: "payload"}
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil { // cannot fail on bytes json.Unmarshal accepted
		return &InvalidFieldError{Field: "payload", Reason: "must be JSON: " + err.Error()}
	}
	*dst = buf.Bytes()
	return nil
}

// readObject reads an optional object; absent or null reads as empty.
func readObject(fields map[string]json.RawMessage, name string, dst *map[string]any) error {
	raw, ok := present(fields, name)
	if !ok {
		*dst = map[string]any{}
		return nil
	}
	if raw[0] != '{' {
		return &InvalidFieldError{Field: name, Reason: "must be an object, got " + jsonKind(raw)}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return &InvalidFieldError{Field: name, Reason: fmt.Sprintf("must be an object: %v", err)}
	}
	*dst = m
	return nil
}

// jsonKind names the JSON type of a valid, non-empty, trimmed value.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
