package deadletter

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/publish"
)

// Letter is one dead letter read back from the dead-letter stream.
type Letter struct {
	Seq        uint64    // its sequence in the dead-letter stream
	Subject    string    // dlq.<provider>.<reason>
	StoredAt   time.Time // when the stream stored it
	ReceivedAt time.Time // when the bridge received the payload (Bridge-Received-At)
	MsgID      string    // its Nats-Msg-Id
	Provider   string
	Reason     string
	Error      string
	File       string // mapping file
	Rule       string
	Ingest     string      // webhook, nats, events
	Header     http.Header // the original headers (Bridge-Orig-*), canonical names, every value
	Body       []byte      // the original payload, byte for byte
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
		if len(name) > len(publish.HeaderOrigPrefix) && strings.EqualFold(name[:len(publish.HeaderOrigPrefix)], publish.HeaderOrigPrefix) {
			orig := textproto.CanonicalMIMEHeaderKey(name[len(publish.HeaderOrigPrefix):])
			l.Header[orig] = append(l.Header[orig], values...)
			continue
		}
		switch textproto.CanonicalMIMEHeaderKey(name) {
		case publish.HeaderReason:
			l.Reason = values[0]
		case publish.HeaderError:
			l.Error = values[0]
		case publish.HeaderMappingFile:
			l.File = values[0]
		case publish.HeaderRule:
			l.Rule = values[0]
		case publish.HeaderProvider:
			l.Provider = values[0]
		case publish.HeaderIngest:
			l.Ingest = values[0]
		case publish.HeaderReceivedAt:
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
			l.Reason = tokens[len(tokens)-1]
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
	Reason     string      `json:"reason"`
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
