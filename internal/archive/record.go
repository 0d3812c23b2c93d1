package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
)

// Headers of an archived delivery. The receive time, provider, ingest kind
// and original headers (deadletter.HeaderOrigPrefix + name) are written as
// a dead letter writes them (deadletter.Encode), so both records read the
// same way; these two are the archive's own.
const (
	HeaderKey         = "Bridge-Idempotency-Key" // the delivery's key, as the mapping in force derived it
	HeaderContentType = "Bridge-Content-Type"    // the Content-Type it came with (webhooks), else none
)

// Record is one archived delivery: what Writer.Keep stores (Encode) and
// what Reader reads back (Decode).
type Record struct {
	Seq        uint64    // its sequence in the stream (read back only)
	Subject    string    // raw.<provider>.<ingest> (read back only)
	StoredAt   time.Time // when the stream stored it (read back only)
	Provider   string
	Ingest     string    // webhook, nats, events
	ReceivedAt time.Time // when the bridge received it
	Key        string    // the delivery's idempotency key then; empty when unknown
	// ContentType is the Content-Type the delivery came with; empty for
	// NATS and events-protocol deliveries that had none.
	ContentType string
	// Header holds the original headers, every value, without credentials
	// (deadletter.SensitiveHeader): never stored. Read back, names are
	// canonical.
	Header http.Header
	// Query is a webhook's query parameters, without credentials
	// (deadletter.SensitiveQuery): never stored.
	Query url.Values
	Body  []byte // as received, byte for byte
}

// Subject is the subject of a provider's delivery through ingest:
// <prefix>.<provider>.<ingest>.
func Subject(prefix, provider, ingest string) string {
	return prefix + "." + provider + "." + ingest
}

// MsgID is the record's Nats-Msg-Id: its key and the SHA-256 of its body,
// so that a delivery retried within the stream's duplicate window (a
// provider's retry, a NATS redelivery) is kept once.
func (r Record) MsgID() string {
	sum := sha256.Sum256(r.Body)
	return "raw:" + r.Provider + ":" + r.Key + ":" + hex.EncodeToString(sum[:16])
}

// Encode returns the message that stores r on Subject(prefix, ...): the
// body byte for byte; the provider, ingest kind, receive time and original
// headers as deadletter.Encode writes them (credentials left out, values
// cleaned of control characters and cut to deadletter.MaxHeaderValueLen);
// HeaderKey, HeaderContentType and Nats-Msg-Id (MsgID). Decode reads it
// back.
func Encode(prefix string, r Record) *nats.Msg {
	m := deadletter.Encode(prefix, deadletter.Letter{Provider: r.Provider, Ingest: r.Ingest, ReceivedAt: r.ReceivedAt,
		Header: r.Header, Query: r.Query, Body: r.Body, MsgID: r.MsgID()})
	m.Subject = Subject(prefix, r.Provider, r.Ingest)
	if r.Key != "" {
		m.Header[HeaderKey] = []string{r.Key}
	}
	if ct := clean(r.ContentType); ct != "" {
		m.Header[HeaderContentType] = []string{ct}
	}
	return m
}

// clean keeps a header value to one line of at most
// deadletter.MaxHeaderValueLen bytes.
func clean(v string) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
	if len(v) > deadletter.MaxHeaderValueLen {
		v = strings.ToValidUTF8(v[:deadletter.MaxHeaderValueLen], "")
	}
	return v
}

// Decode reads a stored record. The provider and ingest kind fall back to
// the subject's tokens, the receive time to the stored time.
func Decode(m *jetstream.RawStreamMsg) (Record, error) {
	l := deadletter.Decode(m)
	r := Record{Seq: m.Sequence, Subject: m.Subject, StoredAt: m.Time, Provider: l.Provider, Ingest: l.Ingest,
		ReceivedAt: l.ReceivedAt, Header: l.Header, Query: l.Query, Body: m.Data}
	tokens := strings.Split(m.Subject, ".")
	if len(tokens) < 3 {
		return r, fmt.Errorf("archive: record %d: subject %q is not <prefix>.<provider>.<ingest>", m.Sequence, m.Subject)
	}
	if r.Provider == "" {
		r.Provider = tokens[len(tokens)-2]
	}
	if r.Ingest == "" {
		r.Ingest = tokens[len(tokens)-1]
	}
	r.Key = m.Header.Get(HeaderKey)
	r.ContentType = m.Header.Get(HeaderContentType)
	return r, nil
}

// Letter is the record as the dead-letter replay reads a delivery
// (replay.Input turns it back into the pipeline's input).
func (r Record) Letter() deadletter.Letter {
	h := r.Header
	if r.ContentType != "" && h.Get("Content-Type") == "" {
		h = h.Clone()
		h.Set("Content-Type", r.ContentType)
	}
	return deadletter.Letter{Seq: r.Seq, Provider: r.Provider, Ingest: r.Ingest, ReceivedAt: r.ReceivedAt, Header: h, Query: r.Query, Body: r.Body}
}
