package signature

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Handshakes: some providers check an endpoint before (and while) they
// deliver to it, with a request that carries no event and expects a
// computed answer: Slack's url_verification, Zoom's
// endpoint.url_validation, Discord's PING, Meta's subscription GET. The
// scheme knows its provider's handshake and answers it; the webhook door
// sends the Reply and stores nothing.

// Reply is a scheme's answer to its provider's handshake, sent with 200.
type Reply struct {
	ContentType string
	Body        []byte
}

// Handshaker is a Verifier whose provider sends signed handshakes among its
// deliveries.
type Handshaker interface {
	Verifier
	// Handshake is given a POST whose signature holds (h, body). It reports
	// whether it is the provider's handshake rather than an event and, if so,
	// the reply; a handshake the scheme will not answer as sent is a
	// *HandshakeError (ok is then true too).
	Handshake(h http.Header, body []byte) (r Reply, ok bool, err error)
}

// Challenger is a Verifier whose provider checks the endpoint with an
// unsigned GET carrying a token agreed when the endpoint was registered
// (Meta's hub.verify_token). A scheme is a Challenger only when that token
// is configured: the door then answers GET as well as POST.
type Challenger interface {
	Verifier
	// Challenge answers a GET of the query q: the reply, or a
	// *HandshakeError (Forbidden when the token is wrong).
	Challenge(q url.Values) (Reply, error)
}

// HandshakeError is a handshake the scheme refuses to answer.
type HandshakeError struct {
	// Forbidden: the handshake's token is not the configured one (403);
	// else the handshake is malformed (400).
	Forbidden bool
	// Field is the query parameter or body field at fault.
	Field string
	// Detail says what was wrong, safe to show the caller; it never holds
	// a secret.
	Detail string
}

func (e *HandshakeError) Error() string { return e.Field + ": " + e.Detail }

// maxChallenge is the longest challenge a handshake reply echoes: the
// providers' are a few dozen characters.
const maxChallenge = 128

// shortToken reports whether s may be echoed: 1 to maxChallenge
// characters, each a letter, a digit or one of -._~+/= (the providers'
// challenges are digits, or base64 and base64url tokens). Anything else is
// never reflected, so that a handshake cannot make the bridge serve
// markup or arbitrary content.
func shortToken(s string) bool {
	if s == "" || len(s) > maxChallenge {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~+/=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// badChallenge is the error of a challenge that is not a short token.
func badChallenge(field string) *HandshakeError {
	return &HandshakeError{Field: field, Detail: "want 1 to 128 letters, digits or -._~+/=; it is not echoed"}
}

// jsonReply is a Reply of v as JSON.
func jsonReply(v any) Reply {
	b, _ := json.Marshal(v) // maps of strings and numbers: cannot fail
	return Reply{ContentType: "application/json", Body: b}
}

// topLevel decodes body's top-level JSON object, member names exact (as
// encoding/json's struct decoding would not have them); nil when body is
// not one.
func topLevel(body []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	return m
}

// stringMember returns m[name] as a string, and whether it is one.
func stringMember(m map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := m[name]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// mentions reports whether body may hold the handshake marked by word; a
// cheap test before a delivery's body is decoded a second time.
func mentions(body, word []byte) bool {
	return bytes.Contains(body, word)
}
