package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/goccy/go-json"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrInvalidMessage is returned, before any attempt, for a Message without
// a subject or a MsgID. It does not wrap ErrUnavailable: it is a bug in
// the caller, not an outage.
var ErrInvalidMessage = errors.New("invalid message")

// Message is one event to store.
type Message struct {
	Subject string
	// MsgID becomes the Nats-Msg-Id header, JetStream's de-duplication key.
	// Required: retries rely on it to never store an event twice.
	MsgID  string
	Header nats.Header // extra headers (HeaderCEID, ...), may be nil; not modified
	Data   []byte
}

// Ack is JetStream's acknowledgement of a stored message.
type Ack struct {
	Stream string
	// Sequence is the message's sequence in Stream; for a duplicate, the
	// sequence of the original stored message.
	Sequence uint64
	// Duplicate is true when a message with the same MsgID was already
	// stored within the stream's duplicate window, and nothing new was
	// stored. When an earlier attempt of the same call may have been stored
	// with its acknowledgement lost, and the stored message has the same
	// HeaderCEID as this one, that copy is this call's own and Duplicate is
	// false.
	Duplicate bool
}

// Publisher stores events and dead letters in JetStream. It is safe for
// concurrent use; calls share no lock.
type Publisher struct {
	js     jetstream.JetStream
	cfg    Config
	log    *slog.Logger
	retry  retrier
	events atomic.Pointer[jetstream.Stream] // handle for StoredHeader, looked up once
	// request sends a message to JetStream and returns its answer: the
	// connection's RequestMsgWithContext (tests lose answers with it).
	request func(ctx context.Context, m *nats.Msg) (*nats.Msg, error)
	// batch stores events that concurrent calls publish at the same time
	// as one atomic batch: one sync of the stream for all of them.
	batch *Batcher
}

// New returns a Publisher writing through js to the streams named in cfg
// (see EnsureStreams). logger receives retry details at Debug; nil discards.
func New(js jetstream.JetStream, cfg Config, logger *slog.Logger) (*Publisher, error) {
	if js == nil {
		return nil, errors.New("publish: nil JetStream")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("publish: invalid config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{
		js:      js,
		cfg:     cfg,
		log:     logger,
		retry:   newRetrier(cfg, logger),
		request: js.Conn().RequestMsgWithContext,
	}
	if !cfg.NoBatch {
		p.batch = newBatcher(func(ctx context.Context, m *nats.Msg) (*nats.Msg, error) { return p.request(ctx, m) }, js.Conn().PublishMsg)
	}
	return p, nil
}

// BatchStats is how many atomic batches of two events or more the
// Publisher stored, and how many events they held.
func (p *Publisher) BatchStats() (batches, events uint64) {
	if p.batch == nil {
		return 0, 0
	}
	return p.batch.BatchStats()
}

// Publish stores m in the events stream with Nats-Msg-Id = m.MsgID. It
// retries transient failures (no responders, timeouts, a connection that
// is reconnecting, JetStream or the stream leader unavailable, a full
// stream) with exponential backoff and full jitter until ctx is done; the
// error then wraps ErrUnavailable and the last cause. It returns only after
// an acknowledgement or a failure.
//
// The message must land in the events stream: a subject the stream does
// not capture is rejected (the Nats-Expected-Stream header is set and is
// stored with the message).
func (p *Publisher) Publish(ctx context.Context, m Message) (Ack, error) {
	if m.Subject == "" || m.MsgID == "" {
		return Ack{}, fmt.Errorf("publish: %w: subject %q, msg id %q: both are required", ErrInvalidMessage, m.Subject, m.MsgID)
	}
	hdr := make(nats.Header, len(m.Header)+2)
	for k, v := range m.Header {
		hdr[k] = v
	}
	hdr[HeaderMsgID] = []string{m.MsgID}
	hdr[jetstream.ExpectedStreamHeader] = []string{p.cfg.Stream}
	msg := &nats.Msg{Subject: m.Subject, Header: hdr, Data: m.Data}

	ack, uncertain, err := p.store(ctx, "publish to "+m.Subject, msg)
	if err != nil {
		return Ack{}, storeError(err)
	}
	if ack.Duplicate && uncertain {
		// An earlier attempt of this very call may have been stored with its
		// acknowledgement lost; then the "duplicate" is our own write. The
		// caller sets a fresh ce-id per delivery, so the stored ce-id tells.
		if own := m.Header.Get(HeaderCEID); own != "" {
			if h, err := p.StoredHeader(ctx, ack.Sequence); err == nil && h.Get(HeaderCEID) == own {
				ack.Duplicate = false
			}
		}
	}
	return ack, nil
}

// Store stores msg as it is (subject, headers, body) under the same
// retries as Publish, and returns its acknowledgement; the error wraps
// ErrUnavailable. The caller sets its Nats-Msg-Id and, to be sure where it
// lands, its Nats-Expected-Stream header (deadletter.Writer does).
func (p *Publisher) Store(ctx context.Context, msg *nats.Msg) (Ack, error) {
	ack, _, err := p.store(ctx, "store on "+msg.Subject, msg)
	if err != nil {
		return Ack{}, storeError(err)
	}
	return ack, nil
}

// store sends msg until acknowledged. uncertain reports whether a failed
// attempt may nonetheless have been stored (its acknowledgement lost).
func (p *Publisher) store(ctx context.Context, what string, msg *nats.Msg) (ack Ack, uncertain bool, err error) {
	err = p.retry.do(ctx, what, func(ctx context.Context) error {
		var err error
		ack, err = p.publishOnce(ctx, msg)
		if err != nil {
			uncertain = uncertain || mayHaveStored(err)
		}
		return err
	})
	return ack, uncertain, err
}

// publishOnce is one attempt of jetstream.PublishMsg without its own
// retries (see StoreOnce), in a batch with the events other calls publish
// at the same time (see Batcher) unless the config says NoBatch.
func (p *Publisher) publishOnce(ctx context.Context, msg *nats.Msg) (Ack, error) {
	if p.batch == nil {
		return StoreOnce(ctx, p.request, msg)
	}
	return p.batch.Store(ctx, msg)
}

// StoreOnce is one attempt of jetstream.PublishMsg without its retries: msg
// sent with request (a connection's RequestMsgWithContext) to the stream
// that takes its subject, and the PubAck read. It returns the errors
// PublishMsg returns: jetstream.ErrNoStreamResponse when no stream
// listens, the server's *jetstream.APIError, jetstream.ErrInvalidJSAck, or
// the request's error. The acknowledgement is decoded without reflection;
// encoding/json's was the costliest part of a publish.
func StoreOnce(ctx context.Context, request func(context.Context, *nats.Msg) (*nats.Msg, error), msg *nats.Msg) (Ack, error) {
	resp, err := request(ctx, msg)
	if errors.Is(err, nats.ErrNoResponders) {
		return Ack{}, jetstream.ErrNoStreamResponse
	}
	if err != nil {
		return Ack{}, err
	}
	var pa pubAck
	if err := json.Unmarshal(resp.Data, &pa); err != nil {
		return Ack{}, jetstream.ErrInvalidJSAck
	}
	if pa.Error != nil {
		return Ack{}, fmt.Errorf("nats: %w", pa.Error)
	}
	if pa.Stream == "" {
		return Ack{}, jetstream.ErrInvalidJSAck
	}
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, nil
}

// pubAck is JetStream's answer to a publish: a PubAck, or an error.
type pubAck struct {
	Error     *jetstream.APIError `json:"error,omitempty"`
	Stream    string              `json:"stream"`
	Sequence  uint64              `json:"seq"`
	Duplicate bool                `json:"duplicate,omitempty"`
}

// storeError makes sure err, a failure to store, wraps ErrUnavailable.
func storeError(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// mayHaveStored reports whether a failed publish may have reached the
// stream: everything but an answer from the server and a message that was
// never sent.
func mayHaveStored(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.As(err, &apiErr),
		errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrReconnectBufExceeded),
		errors.Is(err, nats.ErrConnectionClosed):
		return false
	}
	return true
}

// StoredHeader returns the headers of the message stored at seq in the
// events stream, e.g. the original event's HeaderCEID to answer a
// duplicate. A missing message gives an error matching
// jetstream.ErrMsgNotFound (or ErrStreamNotFound); an error meaning JetStream could not answer
// wraps ErrUnavailable.
func (p *Publisher) StoredHeader(ctx context.Context, seq uint64) (nats.Header, error) {
	var hdr nats.Header
	var notFound error
	err := p.retry.do(ctx, fmt.Sprintf("get message %d of stream %s", seq, p.cfg.Stream), func(ctx context.Context) error {
		s, err := p.eventsStream(ctx)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			notFound = err
			return nil
		}
		if err != nil {
			return err
		}
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
			notFound = err
			return nil
		}
		if err != nil {
			return err
		}
		hdr = m.Header
		return nil
	})
	if err != nil {
		return nil, err
	}
	if notFound != nil {
		return nil, fmt.Errorf("publish: message %d of stream %s: %w", seq, p.cfg.Stream, notFound)
	}
	// A direct get adds where the message is; keep only what was stored.
	for _, k := range [...]string{jetstream.StreamHeader, jetstream.SequenceHeader, jetstream.TimeStampHeaer, jetstream.SubjectHeader, jetstream.LastSequenceHeader} {
		delete(hdr, k)
	}
	return hdr, nil
}

// eventsStream returns the events stream's handle, looked up on first use.
func (p *Publisher) eventsStream(ctx context.Context) (jetstream.Stream, error) {
	if s := p.events.Load(); s != nil {
		return *s, nil
	}
	s, err := p.js.Stream(ctx, p.cfg.Stream)
	if err != nil {
		return nil, err
	}
	p.events.Store(&s)
	return s, nil
}
