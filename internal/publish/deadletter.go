package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// DeadLetter is a payload that could not be mapped or validated, stored
// with the reason so it can be listed and replayed.
type DeadLetter struct {
	Provider   string
	Reason     string // no_rule, eval_error, invalid_event, schema, not_json, max_deliveries
	Error      string // the error text
	File       string // mapping file
	Rule       string // rule name
	Ingest     string // webhook, nats, events
	ReceivedAt time.Time
	// MsgID becomes the Nats-Msg-Id header when set (see DeadLetterID),
	// so the same body of the same delivery is dead-lettered once; when
	// empty, one is generated for this call.
	MsgID string
	// Header holds the original request or message headers; secret ones
	// (see SensitiveHeader) are never stored.
	Header http.Header
	Body   []byte // the original payload, stored byte for byte
}

// DeadLetter stores d.Body in the dead-letter stream on subject
// "dlq.<provider>.<reason>" (the prefix is that of the first DLQ subject
// when it ends in ".>"; characters not allowed in a subject token become
// '_'), with the HeaderReason ... HeaderReceivedAt headers (empty fields
// are left out; a zero ReceivedAt means now) and each original header
// that is not a secret as HeaderOrigPrefix+name, all values kept. Header
// values lose CR, LF and other control characters and are cut to
// MaxErrorLen (the error) or MaxHeaderValueLen bytes.
//
// It retries as Publish does; an error wraps ErrUnavailable.
func (p *Publisher) DeadLetter(ctx context.Context, d DeadLetter) (Ack, error) {
	msgID := d.MsgID
	if msgID == "" {
		msgID = nuid.Next() // still de-duplicates this call's own retries
	}
	hdr := deadLetterHeader(d)
	hdr[HeaderMsgID] = []string{msgID}
	hdr[jetstream.ExpectedStreamHeader] = []string{p.cfg.DLQStream}
	subject := dlqPrefix(p.cfg.DLQSubjects) + "." + subjectToken(d.Provider) + "." + subjectToken(d.Reason)
	msg := &nats.Msg{Subject: subject, Header: hdr, Data: d.Body}

	ack, _, err := p.store(ctx, "dead-letter to "+subject, msg)
	if err != nil {
		return Ack{}, storeError(err)
	}
	return ack, nil
}

// DeadLetterID is the identity of a dead letter, its Nats-Msg-Id: the
// delivery key, the reason and the SHA-256 of the body, joined by ':'. A
// retry of the same body for the same reason is one dead letter (its
// Ack.Duplicate is true, within the dead-letter stream's duplicate
// window); a different body under the same key is kept as well, so a
// dead-lettered answer always names a body that is stored.
func DeadLetterID(deliveryKey, reason string, body []byte) string {
	sum := sha256.Sum256(body)
	return deliveryKey + ":" + reason + ":" + hex.EncodeToString(sum[:])
}

// dlqPrefix is the subject prefix of dead letters: "dlq" for "dlq.>".
func dlqPrefix(subjects []string) string {
	if len(subjects) > 0 {
		if p, ok := strings.CutSuffix(subjects[0], ".>"); ok {
			return p
		}
	}
	return "dlq"
}

func deadLetterHeader(d DeadLetter) nats.Header {
	hdr := make(nats.Header, 10+len(d.Header))
	set := func(k, v string, limit int) {
		if v != "" {
			hdr[k] = []string{sanitizeValue(v, limit)}
		}
	}
	set(HeaderReason, d.Reason, MaxHeaderValueLen)
	set(HeaderError, d.Error, MaxErrorLen)
	set(HeaderMappingFile, d.File, MaxHeaderValueLen)
	set(HeaderRule, d.Rule, MaxHeaderValueLen)
	set(HeaderProvider, d.Provider, MaxHeaderValueLen)
	set(HeaderIngest, d.Ingest, MaxHeaderValueLen)
	at := d.ReceivedAt
	if at.IsZero() {
		at = time.Now()
	}
	hdr[HeaderReceivedAt] = []string{at.UTC().Format(time.RFC3339Nano)}

	for name, values := range d.Header {
		if SensitiveHeader(name) || !validHeaderName(name) || len(values) == 0 {
			continue
		}
		key := HeaderOrigPrefix + textproto.CanonicalMIMEHeaderKey(name)
		for _, v := range values {
			hdr[key] = append(hdr[key], sanitizeValue(v, MaxHeaderValueLen))
		}
	}
	return hdr
}
