package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Envelope is one event of the protocol: a request, or the answer to one.
//
// Payload is kept as raw JSON so a server forwards it untouched and a
// handler decodes it into its own type (see DecodePayload). Identity, Auth
// and Metadata are JSON objects decoded with json.Number for numbers, so
// large identifiers keep every digit; nil and empty maps are both encoded
// as {}, as the reference libraries send them.
type Envelope struct {
	Name     string          // the event: domain:resource:action; for an answer, plus a suffix
	Version  Version         // the payload's version
	ID       string          // the terminal's session identifier
	FlowID   string          // the flow's identifier, shared by every event of the flow
	Payload  json.RawMessage // the event's content; required (JSON null counts as present)
	Identity map[string]any  // the terminal's identity; never together with Auth
	Auth     map[string]any  // authentication keys; never together with Identity
	Metadata map[string]any  // informative only; never decides success or failure
}

// wireEnvelope is the envelope's JSON shape, in the reference server's
// field order.
type wireEnvelope struct {
	Name     string          `json:"name"`
	Version  Version         `json:"version,omitzero"`
	ID       string          `json:"id"`
	FlowID   string          `json:"flowId"`
	Payload  json.RawMessage `json:"payload"`
	Identity map[string]any  `json:"identity"`
	Auth     map[string]any  `json:"auth"`
	Metadata map[string]any  `json:"metadata"`
}

// MarshalJSON encodes the envelope with every field present: absent maps
// as {}, an absent payload as null. It leaves HTML characters unescaped
// (json.Marshal escapes them afterwards; an Encoder with SetEscapeHTML(false)
// does not).
func (e Envelope) MarshalJSON() ([]byte, error) {
	w := wireEnvelope{
		Name:     e.Name,
		Version:  e.Version,
		ID:       e.ID,
		FlowID:   e.FlowID,
		Payload:  e.Payload,
		Identity: orEmpty(e.Identity),
		Auth:     orEmpty(e.Auth),
		Metadata: orEmpty(e.Metadata),
	}
	raw, err := marshal(w)
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: encoding envelope %q: %w", e.Name, err)
	}
	return raw, nil
}

// UnmarshalJSON reads an envelope as Parse does, required fields included.
// JSON null leaves e unchanged.
func (e *Envelope) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	return parseInto(e, data)
}

// DecodePayload decodes the payload into v, as json.Unmarshal does.
func (e *Envelope) DecodePayload(v any) error {
	if len(e.Payload) == 0 {
		return &MissingFieldError{Field: "payload"}
	}
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("eventsprotocol: event %q: decoding payload: %w", e.Name, err)
	}
	return nil
}

// HasIdentity reports whether Identity carries a value: an empty object, or
// one whose values are all null, counts as absent.
func (e *Envelope) HasIdentity() bool { return hasValues(e.Identity) }

// HasAuth reports whether Auth carries a value: an empty object, or one
// whose values are all null, counts as absent.
func (e *Envelope) HasAuth() bool { return hasValues(e.Auth) }

// Validate checks a request envelope against every rule: the required
// fields, the name's pattern, and identity XOR auth. It returns all the
// problems joined, each a typed error (*MissingFieldError, *NameError,
// *IdentityWithAuthError) for errors.As.
func (e *Envelope) Validate() error {
	errs := []error{e.ValidateRequired()}
	if e.Name != "" {
		errs = append(errs, ValidateName(e.Name))
	}
	errs = append(errs, e.ValidateIdentityAuth())
	return join(errs...)
}

// ValidateRequired checks that name, version, id, flowId and payload are
// present, returning a *MissingFieldError for each one that is not, joined
// in that order. An empty string counts as absent.
func (e *Envelope) ValidateRequired() error {
	var errs []error
	missing := func(field string) { errs = append(errs, &MissingFieldError{Field: field}) }
	if e.Name == "" {
		missing("name")
	}
	if e.Version.IsZero() {
		missing("version")
	}
	if e.ID == "" {
		missing("id")
	}
	if e.FlowID == "" {
		missing("flowId")
	}
	if len(e.Payload) == 0 {
		missing("payload")
	}
	return join(errs...)
}

// ValidateIdentityAuth checks that identity and auth do not both carry
// values, failing with an *IdentityWithAuthError.
func (e *Envelope) ValidateIdentityAuth() error {
	if e.HasIdentity() && e.HasAuth() {
		return &IdentityWithAuthError{}
	}
	return nil
}

// hasValues reports whether m holds a key whose value is not null.
func hasValues(m map[string]any) bool {
	for _, v := range m {
		if v != nil {
			return true
		}
	}
	return false
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
