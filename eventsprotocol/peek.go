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
// version, id and flowId and auth.token: the bytes are checked to be one
// JSON value (json.Valid, which allocates nothing), then the top-level
// object is walked key by key and every other value (the payload,
// metadata, identity, auth's other keys) is skipped without being decoded
// or copied. So checking a caller's credential costs two passes over
// bytes the caller has already bounded, and an unauthenticated caller
// never reaches the parser. Keys match exactly, and a key given twice
// counts once, the last, as in Parse. It fails only on bytes that are not
// one JSON object.
func Peek(data []byte) (Peeked, error) {
	var p Peeked
	if !json.Valid(data) {
		return p, &MalformedError{Err: errors.New("not valid JSON")}
	}
	err := eachMember(data, func(key string, raw []byte) {
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
			p.Token = ""
			_ = eachMember(raw, func(k string, v []byte) {
				if k == "token" {
					p.Token = peekString(v)
				}
			})
		}
	})
	return p, err
}

// errNotObject is eachMember's error for a value that is not an object.
var errNotObject = &MalformedError{Err: errors.New("not a JSON object")}

// eachMember calls f with the key and raw value of each member of the
// object in data, which must be valid JSON (json.Valid), in order.
func eachMember(data []byte, f func(key string, raw []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errNotObject
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] != '}' {
		end := skipString(data, i)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			_ = json.Unmarshal(data[i:end], &s) // valid: json.Valid held
			key = []byte(s)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		start := i
		i = skipValue(data, i)
		f(string(key), data[start:i])
		i = skipSpace(data, i)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at i.
func skipString(data []byte, i int) int {
	for i++; i < len(data) && data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index just past the value that starts at i.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for ; i < len(data); i++ { // a number, true, false or null
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

func peekString(raw []byte) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 && bytes.IndexFunc(raw, func(r rune) bool { return r == '\uFFFD' || r < 0x20 }) < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
