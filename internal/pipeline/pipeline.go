package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Store is what the pipeline needs of JetStream.
type Store interface {
	Publish(ctx context.Context, m publish.Message) (publish.Ack, error)
	StoredHeader(ctx context.Context, seq uint64) (nats.Header, error)
	DeadLetter(ctx context.Context, d publish.DeadLetter) (publish.Ack, error)
}

// DefaultRetryAfter is the Retry-After hint of a Failed verdict.
const DefaultRetryAfter = 5 * time.Second

// Pipeline turns ingested payloads into stored events.
type Pipeline struct {
	store Store
	log   *slog.Logger
}

// New returns a pipeline storing through store; logger nil discards.
func New(store Store, logger *slog.Logger) *Pipeline {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{store: store, log: logger}
}

// Handle applies m to in and stores the result. It returns once the outcome
// is final: every event acknowledged by JetStream, the dead letter stored,
// or a failure the caller must retry. ctx bounds the whole of it,
// publish retries included.
func (p *Pipeline) Handle(ctx context.Context, m *transform.Mapping, in transform.Input) Verdict {
	res := m.Apply(in)
	v := Verdict{IdempotencyKey: res.Key.String(), File: m.File}
	if res.Rule != nil {
		v.Rule, v.Many = res.Rule.Name, res.Rule.Each()
	}
	switch {
	case res.Dropped:
		v.Outcome = Dropped
		return v
	case res.Failure != nil:
		return p.deadLetter(ctx, m, in, res, v)
	}
	dups := 0
	for _, ev := range res.Events {
		ack, err := p.store.Publish(ctx, publish.Message{
			Subject: ev.Type,
			MsgID:   ev.IdempotencyKey.String(),
			Header: nats.Header{
				publish.HeaderContentType: {publish.ContentTypeCloudEvents},
				publish.HeaderCEID:        {ev.ID},
				publish.HeaderCEType:      {ev.Type},
				publish.HeaderCESource:    {ev.Source},
				publish.HeaderCESubject:   {ev.Subject},
			},
			Data: ev.JSON,
		})
		if err != nil {
			return failed(v, fmt.Errorf("publish %s: %w", ev.Type, err))
		}
		ref := EventRef{ID: ev.ID, Type: ev.Type, IdempotencyKey: ev.IdempotencyKey.String()}
		if ack.Duplicate {
			h, err := p.store.StoredHeader(ctx, ack.Sequence)
			if err != nil {
				return failed(v, fmt.Errorf("read the original of duplicate %s: %w", ref.IdempotencyKey, err))
			}
			ref.ID, ref.Duplicate = h.Get(publish.HeaderCEID), true
			dups++
		}
		v.Events = append(v.Events, ref)
	}
	v.Outcome = Published
	if dups > 0 && dups == len(v.Events) {
		v.Outcome = Duplicate
	}
	return v
}

func failed(v Verdict, err error) Verdict {
	v.Outcome, v.Err, v.Events = Failed, err, nil
	v.RetryAfter = DefaultRetryAfter
	return v
}

func (p *Pipeline) deadLetter(ctx context.Context, m *transform.Mapping, in transform.Input, res transform.Result, v Verdict) Verdict {
	f := res.Failure
	v.Reason, v.Field, v.Err = f.Reason, f.Field, f
	h := in.Header
	if h == nil {
		h = make(http.Header, len(in.Headers))
		for k, val := range in.Headers {
			h.Set(k, val)
		}
	}
	_, err := p.store.DeadLetter(ctx, publish.DeadLetter{
		Provider:   m.Provider,
		Reason:     f.Reason,
		Error:      f.Error(),
		File:       m.File,
		Rule:       v.Rule,
		Ingest:     in.Ingest,
		ReceivedAt: in.ReceivedAt,
		// One dead letter per delivery and reason, however often it is retried.
		MsgID:  v.IdempotencyKey + ":" + f.Reason,
		Header: h,
		Body:   in.Body,
	})
	if err != nil {
		return failed(v, fmt.Errorf("store dead letter: %w", err))
	}
	v.Outcome = DeadLettered
	p.log.Warn("dead-lettered", "provider", m.Provider, "ingest", in.Ingest, "rule", v.Rule, "reason", f.Reason,
		"field", f.Field, "error", f.Err.Error(), "idempotencykey", v.IdempotencyKey)
	return v
}

// IsUnavailable reports whether a Failed verdict's error means JetStream
// could not store (as opposed to a bug).
func IsUnavailable(err error) bool { return errors.Is(err, publish.ErrUnavailable) }
