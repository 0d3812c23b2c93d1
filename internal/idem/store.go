package idem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of StoreConfig.
const (
	DefaultBucket         = "bridge_idem"
	DefaultHorizon        = 72 * time.Hour
	defaultAttemptTimeout = 2 * time.Second
)

// ErrUnavailable is wrapped by every error that means the store could not
// answer (JetStream down, leader election, timeout): the caller answers 503
// and the provider retries.
var ErrUnavailable = errors.New("idempotency store unavailable")

// StoreConfig configures the dedupe store.
type StoreConfig struct {
	Bucket   string        // KV bucket, default DefaultBucket
	Replicas int           // default 1
	Horizon  time.Duration // how long a delivery is remembered, default DefaultHorizon
}

// Validate reports every problem of c at once.
func (c StoreConfig) Validate() error {
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, errors.New("idempotency bucket: empty name"))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("idempotency bucket replicas must be between 1 and 5, got %d", c.Replicas))
	}
	if c.Horizon <= 0 {
		errs = append(errs, fmt.Errorf("idempotency horizon must be > 0, got %s", c.Horizon))
	}
	return errors.Join(errs...)
}

// Ref names one stored event of a delivery.
type Ref struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	IdempotencyKey string `json:"idempotencykey"`
}

// Record is what the store keeps of a delivery: its events, in order.
type Record struct {
	Events []Ref `json:"events"`
}

// Store remembers, for Horizon, which events each delivery produced, beyond
// the events stream's duplicate window: a KV bucket mapping the delivery's
// idempotency key to the original event ids. Any bridge replica, before or
// after a restart, sees the same answers.
type Store struct {
	kv jetstream.KeyValue
}

// OpenStore creates the bucket, or updates its horizon and replicas, and
// returns the store. It retries while JetStream is unavailable, until ctx ends.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      cfg.Bucket,
			Description: "bridge: delivery idempotency key -> original event ids",
			History:     1,
			TTL:         cfg.Horizon,
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency bucket %s: %w", cfg.Bucket, err)
	}
	return &Store{kv: kv}, nil
}

// Lookup returns the record of a delivery, and whether there is one.
func (s *Store) Lookup(ctx context.Context, key uuid.UUID) (Record, bool, error) {
	var value []byte
	err := retry(ctx, func(ctx context.Context) error {
		e, err := s.kv.Get(ctx, key.String())
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		value = e.Value()
		return nil
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("look up %s: %w", key, err)
	}
	if value == nil {
		return Record{}, false, nil
	}
	var rec Record
	if err := json.Unmarshal(value, &rec); err != nil {
		return Record{}, false, fmt.Errorf("record of %s: %w", key, err)
	}
	return rec, true, nil
}

// Remember stores the record of a delivery whose events are all stored.
func (s *Store) Remember(ctx context.Context, key uuid.UUID, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := s.kv.Put(ctx, key.String(), b)
		return err
	}); err != nil {
		return fmt.Errorf("remember %s: %w", key, err)
	}
	return nil
}

// retry runs op until it succeeds, fails for good, or ctx ends; each
// attempt has its own timeout so a request lost in a disconnect is retried
// after the reconnect. Every failure to answer wraps ErrUnavailable.
func retry(ctx context.Context, op func(context.Context) error) error {
	wait := 25 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, defaultAttemptTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if !transient(err) {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w (gave up: %w)", ErrUnavailable, err, ctx.Err())
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		}
		wait = min(2*wait, time.Second)
	}
}

// transient reports whether another attempt may succeed: anything but a
// cancelled caller or a request JetStream refuses as malformed (4xx).
func transient(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, nats.ErrBadSubject), errors.Is(err, jetstream.ErrInvalidKey):
		return false
	case errors.As(err, &apiErr):
		return apiErr.Code >= 500 || apiErr.Code == 408
	}
	return true
}
