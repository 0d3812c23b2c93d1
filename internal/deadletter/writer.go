package deadletter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/bridge-dev/bridge/internal/publish"
)

// Storer stores one message in JetStream as it is, retrying as
// publish.Publisher.Publish does, and returns its acknowledgement; an error
// wraps publish.ErrUnavailable (publish.Publisher.Store).
type Storer interface {
	Store(ctx context.Context, msg *nats.Msg) (publish.Ack, error)
}

// Writer stores dead letters in the dead-letter stream: the one way the
// pipeline, the NATS ingestor and replay write one.
type Writer struct {
	store  Storer
	stream string // the dead-letter stream, for Nats-Expected-Stream
	prefix string // the subject prefix, "dlq"
}

// NewWriter returns a writer that stores through s in the dead-letter
// stream of cfg (DLQStream, on the prefix of its first DLQSubjects).
func NewWriter(s Storer, cfg publish.Config) (*Writer, error) {
	var errs []error
	if s == nil {
		errs = append(errs, errors.New("dead-letter writer: a store is required"))
	}
	if cfg.DLQStream == "" {
		errs = append(errs, errors.New("dead-letter writer: the dead-letter stream name is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Writer{store: s, stream: cfg.DLQStream, prefix: subjectPrefix(cfg.DLQSubjects)}, nil
}

// Store stores l (see Encode) under the identity ID(key, l.Reason, l.Body),
// where key names the delivery: the idempotency key of a mapped delivery,
// "nats:<subject>" for a NATS payload that never reached a rule. A retry of
// the same body for the same reason is then one dead letter (the Ack's
// Duplicate is true, within the stream's duplicate window). With key empty
// the dead letter gets an identity of its own. l.MsgID, Seq, Subject and
// StoredAt are ignored; a zero l.ReceivedAt means now.
//
// It retries as publish does; an error wraps publish.ErrUnavailable.
func (w *Writer) Store(ctx context.Context, key string, l Letter) (publish.Ack, error) {
	l.MsgID = nuid.Next() // still de-duplicates this call's own retries
	if key != "" {
		l.MsgID = ID(key, l.Reason, l.Body)
	}
	msg := Encode(w.prefix, l)
	msg.Header[jetstream.ExpectedStreamHeader] = []string{w.stream}
	return w.store.Store(ctx, msg)
}

// ID is the identity of a dead letter, its Nats-Msg-Id: the delivery key,
// the reason and the SHA-256 of the body, joined by ':'. A different body
// under the same key and reason has another identity, so a dead-lettered
// answer always names a body that is stored.
func ID(deliveryKey string, reason Reason, body []byte) string {
	sum := sha256.Sum256(body)
	return deliveryKey + ":" + string(reason) + ":" + hex.EncodeToString(sum[:])
}

// DeliveryKey is the delivery key of l's identity, the part of its
// Nats-Msg-Id before ":<reason>": ID's "<key>:<reason>:<sha256>" and the
// older forms without the hash or with a sequence. An id of another form
// is the key as a whole; no id, no key ("").
func (l Letter) DeliveryKey() string {
	suffix := ":" + string(l.Reason)
	if i := strings.LastIndex(l.MsgID, suffix); i > 0 && l.Reason != "" {
		if rest := l.MsgID[i+len(suffix):]; rest == "" || rest[0] == ':' {
			return l.MsgID[:i]
		}
	}
	return l.MsgID
}

// Subject is the subject of a dead letter, "<prefix>.<provider>.<reason>";
// characters not allowed in a subject token become '_', and an empty
// provider or reason "unknown".
func Subject(prefix, provider string, reason Reason) string {
	return prefix + "." + subjectToken(provider) + "." + subjectToken(string(reason))
}

// subjectPrefix is the subject prefix of dead letters: that of the first
// DLQ subject when it ends in ".>" ("dlq" for "dlq.>"), else "dlq".
func subjectPrefix(subjects []string) string {
	if len(subjects) > 0 {
		if p, ok := strings.CutSuffix(subjects[0], ".>"); ok {
			return p
		}
	}
	return "dlq"
}
