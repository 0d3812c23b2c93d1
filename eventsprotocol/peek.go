package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Peeked is what Peek reads of an envelope: the fields an answer repeats
// and the credential, nothing else.
type Peeked struct {
	Name, ID, FlowID string  // empty when absent or not a string
	Version          Version // zero when absent or not a version
	// Token is auth.token when it is a non-empty string; empty otherwise
	// (absent, null, another type).
	Token string
}

// Envelope returns an envelope with the peeked name, version, id and
// flowId, for building an answer (ErrorFor) to a request that is not
// parsed.
func (p Peeked) Envelope() *Envelope {
	return &Envelope{Name: p.Name, Version: p.Version, ID: p.ID, FlowID: p.FlowID}
}

// Peek reads, from an envelope's raw bytes, only its top-level name,
// version, id and flowId and auth.token: the other fields (the payload,
// metadata, identity, auth's other keys) are scanned as JSON but never
// decoded into values, so checking a caller's credential costs one pass
// over bytes the caller has already bounded. A key given twice counts
// once, the last, as in Parse. It fails only on bytes that are not one
// JSON object.
func Peek(data []byte) (Peeked, error) {
	var p Peeked
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return p, &MalformedError{Err: errors.New("not a JSON object")}
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return p, &MalformedError{Err: err}
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return p, &MalformedError{Err: err}
		}
		switch key {
		case "name":
			p.Name = peekString(raw)
		case "id":
			p.ID = peekString(raw)
		case "flowId":
			p.FlowID = peekString(raw)
		case "version":
			p.Version, _ = parseVersion(raw)
		case "auth":
			p.Token = peekToken(raw)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return p, &MalformedError{Err: errors.New("not one JSON object")}
	}
	if _, err := dec.Token(); err == nil {
		return p, &MalformedError{Err: errors.New("data after the JSON object")}
	}
	return p, nil
}

func peekString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// peekToken reads the token key of an auth object, skipping its others.
func peekToken(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, _ = dec.Token() // '{'
	tok := ""
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ""
		}
		if t == "token" {
			tok = peekString(v)
		}
	}
	return tok
}
