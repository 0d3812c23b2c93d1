package subscriber

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of a dead letter, beside the original message's own headers
// (ce-*, Content-Type, ...), which it keeps; its body is the original
// body byte for byte.
const (
	HeaderReason     = "Subscriber-Reason"   // one of the Reason* constants
	HeaderError      = "Subscriber-Error"    // what was wrong, at most 1 KiB
	HeaderStream     = "Subscriber-Stream"   // the events stream
	HeaderSequence   = "Subscriber-Sequence" // the event's sequence in it
	HeaderSubject    = "Subscriber-Subject"  // the event's NATS subject (its type)
	HeaderAttempts   = "Subscriber-Attempts" // how many times the handler was called
	HeaderDeadLetter = "Subscriber-Dead-At"  // when, RFC 3339 UTC
	maxErrorLen      = 1024
)

// deadLetters writes a subscriber's dead letters.
type deadLetters struct {
	js     jetstream.JetStream
	name   string
	stream string // the events stream
}

func (d deadLetters) ensure(ctx context.Context, replicas int) error {
	_, err := d.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        DeadLetterStream(d.name),
		Description: "dead letters of subscriber " + d.name,
		Subjects:    []string{DeadLetterSubject(d.name, ">")},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	return err
}

// write stores the message of stream sequence seq as a dead letter. Its
// Nats-Msg-Id is derived from the sequence, so writing it again after a
// crash within the stream's duplicate window stores it once.
func (d deadLetters) write(ctx context.Context, m jetstream.Msg, seq uint64, reason string, cause error, attempts int) error {
	hdr := nats.Header{}
	for k, v := range m.Headers() {
		if strings.HasPrefix(strings.ToLower(k), "nats-") {
			continue
		}
		hdr[k] = v
	}
	hdr.Set(HeaderReason, reason)
	hdr.Set(HeaderError, headerText(cause.Error(), maxErrorLen))
	hdr.Set(HeaderStream, d.stream)
	hdr.Set(HeaderSequence, strconv.FormatUint(seq, 10))
	hdr.Set(HeaderSubject, m.Subject())
	hdr.Set(HeaderAttempts, strconv.Itoa(attempts))
	hdr.Set(HeaderDeadLetter, time.Now().UTC().Format(time.RFC3339Nano))
	msg := &nats.Msg{Subject: DeadLetterSubject(d.name, reason), Header: hdr, Data: m.Data()}
	_, err := d.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(d.name+"."+d.stream+"."+strconv.FormatUint(seq, 10)),
		jetstream.WithExpectStream(DeadLetterStream(d.name)))
	return err
}

// headerText makes s a safe header value: control characters become
// spaces, invalid UTF-8 is replaced, and it is cut to limit bytes.
func headerText(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= limit {
		return s
	}
	cut := limit - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
