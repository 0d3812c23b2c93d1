package deadletter

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/publish"
)

// Letter is one dead letter: what Writer.Store stores (Encode) and what
// Stream reads back (Decode).
type Letter struct {
	Seq        uint64    // its sequence in the dead-letter stream (read back only)
	Subject    string    // dlq.<provider>.<reason> (read back only)
	StoredAt   time.Time // when the stream stored it (read back only)
	ReceivedAt time.Time // when the bridge received the payload (Bridge-Received-At)
	MsgID      string    // its Nats-Msg-Id
	Provider   string
	Reason     Reason
	Error      string
	File       string // mapping file
	Rule       string
	Ingest     string // webhook, nats, events
	// Header holds the original request or message headers, every value;
	// secret ones (SensitiveHeader) are never stored. Read back, the names
	// are canonical.
	Header http.Header
	// Query holds a webhook's query parameters, every value, without
	// credentials (SensitiveQuery); nil for the other doors.
	Query url.Values
	Body  []byte // the original payload, byte for byte
}

// Encode returns the message that stores l in the dead-letter stream: on
// Subject(prefix, l.Provider, l.Reason), the body l.Body byte for byte, and
// the headers HeaderReason ... HeaderReceivedAt (empty fields are left out;
// a zero ReceivedAt means now), HeaderMsgID from l.MsgID when set, and each
// original header of l.Header that is not a secret (SensitiveHeader) as
// HeaderOrigPrefix+name, all values kept. Header values lose CR, LF and
// other control characters and are cut to MaxErrorLen (the error) or
// MaxHeaderValueLen bytes. Decode reads it back.
func Encode(prefix string, l Letter) *nats.Msg {
	hdr := make(nats.Header, 10+len(l.Header))
	set := func(k, v string, limit int) {
		if v != "" {
			hdr[k] = []string{sanitizeValue(v, limit)}
		}
	}
	set(HeaderReason, string(l.Reason), MaxHeaderValueLen)
	set(HeaderError, l.Error, MaxErrorLen)
	set(HeaderMappingFile, l.File, MaxHeaderValueLen)
	set(HeaderRule, l.Rule, MaxHeaderValueLen)
	set(HeaderProvider, l.Provider, MaxHeaderValueLen)
	set(HeaderIngest, l.Ingest, MaxHeaderValueLen)
	at := l.ReceivedAt
	if at.IsZero() {
		at = time.Now()
	}
	hdr[HeaderReceivedAt] = []string{at.UTC().Format(time.RFC3339Nano)}
	if l.MsgID != "" {
		hdr[publish.HeaderMsgID] = []string{l.MsgID}
	}
	if q := safeQuery(l.Query); q != "" {
		hdr[HeaderQuery] = []string{sanitizeValue(q, MaxHeaderValueLen)}
	}
	for name, values := range l.Header {
		if SensitiveHeader(name) || !validHeaderName(name) || len(values) == 0 {
			continue
		}
		key := HeaderOrigPrefix + textproto.CanonicalMIMEHeaderKey(name)
		for _, v := range values {
			hdr[key] = append(hdr[key], sanitizeValue(v, MaxHeaderValueLen))
		}
	}
	return &nats.Msg{Subject: Subject(prefix, l.Provider, l.Reason), Header: hdr, Data: l.Body}
}

// Decode reads a stored dead-letter message. Fields missing from the
// headers fall back to what the subject and the stream say: the provider
// and reason to the subject's tokens, the receive time to the stored time.
func Decode(m *jetstream.RawStreamMsg) Letter {
	l := Letter{Seq: m.Sequence, Subject: m.Subject, StoredAt: m.Time, Body: m.Data, Header: http.Header{}}
	for name, values := range m.Header {
		if len(values) == 0 {
			continue
		}
		if len(name) > len(HeaderOrigPrefix) && strings.EqualFold(name[:len(HeaderOrigPrefix)], HeaderOrigPrefix) {
			orig := textproto.CanonicalMIMEHeaderKey(name[len(HeaderOrigPrefix):])
			l.Header[orig] = append(l.Header[orig], values...)
			continue
		}
		switch textproto.CanonicalMIMEHeaderKey(name) {
		case HeaderReason:
			l.Reason = Reason(values[0])
		case HeaderError:
			l.Error = values[0]
		case HeaderMappingFile:
			l.File = values[0]
		case HeaderRule:
			l.Rule = values[0]
		case HeaderProvider:
			l.Provider = values[0]
		case HeaderIngest:
			l.Ingest = values[0]
		case HeaderQuery:
			if q, err := url.ParseQuery(values[0]); err == nil && len(q) > 0 {
				l.Query = q
			}
		case HeaderReceivedAt:
			if at, err := time.Parse(time.RFC3339Nano, values[0]); err == nil {
				l.ReceivedAt = at
			}
		case textproto.CanonicalMIMEHeaderKey(publish.HeaderMsgID):
			l.MsgID = values[0]
		}
	}
	if tokens := strings.Split(m.Subject, "."); len(tokens) >= 3 {
		if l.Provider == "" {
			l.Provider = tokens[len(tokens)-2]
		}
		if l.Reason == "" {
			l.Reason = Reason(tokens[len(tokens)-1])
		}
	}
	if l.ReceivedAt.IsZero() {
		l.ReceivedAt = m.Time
	}
	return l
}

// View is a dead letter as shown to people (bridge dlq list --json,
// GET /api/dlq): the body with its mapping file's redact paths blanked.
type View struct {
	Seq        uint64      `json:"seq"`
	Subject    string      `json:"subject"`
	ReceivedAt time.Time   `json:"received_at"`
	StoredAt   time.Time   `json:"stored_at"`
	Provider   string      `json:"provider"`
	Reason     Reason      `json:"reason"`
	Error      string      `json:"error,omitempty"`
	File       string      `json:"file,omitempty"`
	Rule       string      `json:"rule,omitempty"`
	Ingest     string      `json:"ingest,omitempty"`
	Headers    http.Header `json:"headers,omitempty"`
	// Body is the payload with the redact paths blanked; empty when hidden.
	Body string `json:"body,omitempty"`
	// BodyBytes is the size of the stored payload.
	BodyBytes int `json:"body_bytes"`
	// BodyHidden says why Body is left out: with no mapping file for the
	// provider, its redact paths are unknown and nothing of the body is shown.
	BodyHidden string `json:"body_hidden,omitempty"`
}

// Show returns the letter as shown to people, its body with the redact
// paths of its provider's mapping file blanked (see Redact). With mapped
// false (no mapping file for the provider) its redact paths are unknown and
// the body is hidden.
func (l Letter) Show(redact []string, mapped bool) View {
	v := View{Seq: l.Seq, Subject: l.Subject, ReceivedAt: l.ReceivedAt, StoredAt: l.StoredAt, Provider: l.Provider,
		Reason: l.Reason, Error: l.Error, File: l.File, Rule: l.Rule, Ingest: l.Ingest, Headers: l.Header,
		BodyBytes: len(l.Body)}
	if len(v.Headers) == 0 {
		v.Headers = nil
	}
	if !mapped {
		v.BodyHidden = fmt.Sprintf("no mapping file for provider %q: its redact paths are unknown", l.Provider)
		return v
	}
	v.Body = string(Redact(l.Body, l.Header.Get("Content-Type"), redact))
	return v
}
