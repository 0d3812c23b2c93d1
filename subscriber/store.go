package subscriber

import (
	"context"
	"errors"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
)

// Store records which idempotency keys the handler has handled.
//
// The default store is the subscriber's KV bucket: the kit records the key
// after the handler returns nil and before it acknowledges the message, so
// a crash between the handler's own write and that record lets that one
// event reach the handler again. A handler that writes to its own
// transactional database can close that window: it writes the key in the
// same transaction as its effect (KeyOf gives it), and its Store reads that
// table in IsDone and does nothing in MarkDone.
type Store interface {
	// IsDone reports whether key was handled.
	IsDone(ctx context.Context, key string) (bool, error)
	// MarkDone records that key was handled; called after the handler
	// returned nil, before the message is acknowledged.
	MarkDone(ctx context.Context, key string) error
}

// KeyOf returns the event's idempotencykey, "" if it has none. Every event
// a Handler gets has one (the profile requires it).
func KeyOf(e event.Event) string {
	v, ok := e.Extensions()[extIdempotencyKey]
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

const extIdempotencyKey = "idempotencykey"

// kvStore is the default Store, and where dead-lettered stream sequences
// are recorded whatever the Store.
type kvStore struct {
	kv jetstream.KeyValue
}

// done record keys: the idempotencykey itself (a UUID); a dead letter's
// record is "dead.<stream sequence>", which no UUID can be.
func deadKey(seq uint64) string { return "dead." + strconv.FormatUint(seq, 10) }

func (s kvStore) IsDone(ctx context.Context, key string) (bool, error) {
	return s.has(ctx, key)
}

func (s kvStore) MarkDone(ctx context.Context, key string) error {
	_, err := s.kv.Put(ctx, key, []byte("done"))
	return err
}

func (s kvStore) has(ctx context.Context, key string) (bool, error) {
	_, err := s.kv.Get(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	}
	return false, err
}

func (s kvStore) markDead(ctx context.Context, seq uint64, reason string) error {
	_, err := s.kv.Put(ctx, deadKey(seq), []byte(reason))
	return err
}
