package dlq

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/ingest/envelope"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// ErrNotReplayable is wrapped by Letter.Input for a dead letter whose body
// the current mapping cannot turn back into a payload: not JSON, a content
// type the file no longer accepts, or an ingest kind replay does not know.
var ErrNotReplayable = errors.New("dead letter cannot be decoded for replay")

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

// Input turns the dead letter back into what its ingestor handed the
// pipeline, with the payload decoded by m as the ingestor would: a webhook
// body by its original Content-Type (JSON when it had none), a NATS body as
// JSON. The error wraps ErrNotReplayable; the Input still carries the body
// and headers.
func (l Letter) Input(m *transform.Mapping) (transform.Input, error) {
	in := transform.NewInput(l.Provider, l.Ingest, l.Body, l.Header.Clone(), l.ReceivedAt)
	var err error
	switch l.Ingest {
	case transform.IngestWebhook:
		ct := l.Header.Get("Content-Type")
		if ct == "" {
			ct = transform.ContentJSON
		}
		in.Payload, err = m.Decode(ct, l.Body)
	case transform.IngestNATS:
		in.Payload, err = transform.DecodeJSON(l.Body)
	case transform.IngestEvents:
		// The body is the envelope (auth values blanked): decode it as the
		// events endpoint does, so the same rule sees the same fields and the
		// call keeps its idempotency key.
		var env *eventsprotocol.Envelope
		if env, err = eventsprotocol.Parse(l.Body); err == nil {
			var ein transform.Input
			if ein, err = envelope.Input(env, l.Header, l.ReceivedAt); err == nil {
				ein.Provider, ein.Body = l.Provider, l.Body
				in = ein
			}
		}
	default:
		err = fmt.Errorf("ingest %q is not replayed", l.Ingest)
	}
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrNotReplayable, err)
	}
	return in, nil
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

// Show shows each letter with its provider's mapping in set (nil: none
// loaded, bodies hidden).
func Show(letters []Letter, set *transform.Set) []View {
	views := make([]View, len(letters))
	for i, l := range letters {
		var m *transform.Mapping
		if set != nil {
			m, _ = set.Mapping(l.Provider)
		}
		views[i] = l.Show(m)
	}
	return views
}

// Show returns the letter as shown to people, redacted with m's redact
// paths. With m nil (no mapping file for the provider) the body is hidden.
func (l Letter) Show(m *transform.Mapping) View {
	v := View{Seq: l.Seq, Subject: l.Subject, ReceivedAt: l.ReceivedAt, StoredAt: l.StoredAt, Provider: l.Provider,
		Reason: l.Reason, Error: l.Error, File: l.File, Rule: l.Rule, Ingest: l.Ingest, Headers: l.Header,
		BodyBytes: len(l.Body)}
	if len(v.Headers) == 0 {
		v.Headers = nil
	}
	if m == nil {
		v.BodyHidden = fmt.Sprintf("no mapping file for provider %q: its redact paths are unknown", l.Provider)
		return v
	}
	v.Body = string(Redact(l.Body, l.Header.Get("Content-Type"), m.Redact))
	return v
}
