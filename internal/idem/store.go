package idem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/retry"
)

// Defaults of StoreConfig (DefaultStoreConfig).
const (
	DefaultBucket         = "bridge_idem"
	DefaultHorizon        = 72 * time.Hour
	DefaultCacheKeys      = 1 << 20 // about 1.2 MB of filter at 1% false positives
	defaultAttemptTimeout = 2 * time.Second
)

// ErrUnavailable is wrapped by every error that means the store could not
// answer (JetStream down, leader election, timeout): the caller answers 503
// and the provider retries.
var ErrUnavailable = errors.New("idempotency store unavailable")

// StoreConfig configures the dedupe store. Start from DefaultStoreConfig.
type StoreConfig struct {
	// Bucket is the KV bucket; default DefaultBucket.
	Bucket string
	// Replicas of the bucket, 1 to publish.MaxReplicas; default
	// publish.DefaultReplicas.
	Replicas int
	// Horizon is how long a delivery is remembered; default DefaultHorizon.
	Horizon time.Duration
	// CacheKeys is how many keys the negative cache is sized for; it grows
	// to twice the keys in the bucket when they are more. 0 turns the cache
	// off: every Lookup asks the bucket. Default DefaultCacheKeys.
	CacheKeys int
	// NoBatch stores each record with a request of its own instead of
	// sharing atomic batches with concurrent deliveries (publish.Batcher):
	// for a server that does not sync every write. Default false.
	NoBatch bool
}

// DefaultStoreConfig returns the default configuration.
func DefaultStoreConfig() StoreConfig {
	return StoreConfig{Bucket: DefaultBucket, Replicas: publish.DefaultReplicas, Horizon: DefaultHorizon, CacheKeys: DefaultCacheKeys}
}

// Validate reports every problem of c at once. It never changes c.
func (c StoreConfig) Validate() error {
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, errors.New("idempotency bucket: empty name"))
	}
	if c.Replicas < 1 || c.Replicas > publish.MaxReplicas {
		errs = append(errs, fmt.Errorf("idempotency bucket replicas must be between 1 and %d, got %d", publish.MaxReplicas, c.Replicas))
	}
	if c.Horizon <= 0 {
		errs = append(errs, fmt.Errorf("idempotency horizon must be > 0, got %s", c.Horizon))
	}
	if c.CacheKeys < 0 {
		errs = append(errs, fmt.Errorf("idempotency cache keys must be 0 (off) or more, got %d", c.CacheKeys))
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
//
// Nearly every delivery is new, so the store keeps a negative cache: a
// Bloom filter of the keys in the bucket, fed by a watch on the bucket and
// by Remember. Once the watch has delivered every key the bucket held, a
// Lookup of a key the filter does not hold answers "not found" without a
// round trip; any other Lookup (a key the filter may hold, or the watch not
// in step: starting, re-syncing after a reconnect, lagging, stopped) asks
// the bucket as it would without the cache. A false positive costs only that
// round trip.
//
// Why "not in the filter" is a safe "not found": keys are recorded only
// after their events are stored; Remember adds the key to this replica's
// filter as soon as its Put succeeds, and a key recorded by another replica
// reaches this filter within the watch's lag. A retry that arrives inside
// that lag is published again, and the events stream's duplicate window
// (Nats-Msg-Id, minutes) de-duplicates it; the pipeline reads the original
// back on a Duplicate ack. So the filter only has to hold every key older
// than the duplicate window (default 2m), and the watch is far quicker than
// that. Where it might not be, lookups go to the bucket again: from a
// disconnect until a new watch has caught up, and when the watch has not
// reached, within 20 s, a sequence the bucket had (checked every 5 s).
//
// Keys expire from the bucket (Horizon) and never from a Bloom filter, so
// the filter is rebuilt, a new watch into a new filter while the old one
// keeps answering, whenever it holds more keys than it is sized for and at
// least once per Horizon.
type Store struct {
	kv        jetstream.KeyValue
	nc        *nats.Conn
	putPrefix string // the subject of a key is putPrefix + key, as kv.Put sends it (see putPrefix)
	// batch stores the records that concurrent deliveries remember at the
	// same time as one atomic batch, synced once.
	batch *publish.Batcher

	// answer is the filter that answers lookups; nil while the watch is not
	// in step with the bucket, and then every lookup asks the bucket.
	answer atomic.Pointer[keyFilter]

	mu        sync.Mutex // guards cur and next
	cur, next *keyFilter // the filters Remember adds to: the one fed by the watch, and a rebuild's

	local, gets, rebuilds, resyncs atomic.Uint64

	// The cache's lifecycle: Start runs syncer (nil: no cache) in a
	// goroutine that closes done; Close cancels it and waits for done.
	syncer          *syncer
	life            sync.Mutex // guards started, closed and stop
	started, closed bool
	stop            context.CancelFunc
	done            chan struct{}
}

// OpenStore creates the bucket, or updates its horizon and replicas, and
// returns the store. It retries while JetStream is unavailable, until ctx ends.
//
// OpenStore starts no goroutine: unless cfg.CacheKeys is 0, Start starts
// the watch of the bucket that feeds the negative cache, and Close stops it
// (closing the NATS connection stops it too). The watch needs the NATS user to create and delete
// consumers of the bucket's stream and answer their flow control
// ($JS.API.CONSUMER.CREATE.KV_<bucket>.>, $JS.API.CONSUMER.DELETE.KV_<bucket>.>,
// $JS.FC.KV_<bucket>.>); without them the store works as without the cache.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig) (*Store, error) {
	return openStore(ctx, js, cfg, defaultTuning())
}

func openStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig, tun tuning) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var kv jetstream.KeyValue
	err := retryOp(ctx, func(ctx context.Context) error {
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
	allowAtomic(ctx, js, "KV_"+kv.Bucket())
	s := &Store{kv: kv, nc: js.Conn(), putPrefix: putPrefix(js, kv.Bucket())}
	if s.nc != nil && !cfg.NoBatch {
		s.batch = publish.NewBatcher(s.nc)
	}
	if cfg.CacheKeys == 0 || s.nc == nil {
		return s, nil
	}
	keys := uint(cfg.CacheKeys)
	if tun.rebuildEvery <= 0 {
		tun.rebuildEvery = cfg.Horizon
	}
	s.syncer = &syncer{s: s, tun: tun, keys: keys}
	return s, nil
}

// Start starts the negative cache's watch of the bucket in a goroutine
// that Close stops and waits for. Until Start, and without a cache
// (CacheKeys 0), every Lookup asks the bucket. Start twice, or after
// Close, does nothing.
func (s *Store) Start() {
	s.life.Lock()
	defer s.life.Unlock()
	if s.syncer == nil || s.started || s.closed {
		return
	}
	s.started = true
	// The watch outlives the caller's context: Close ends it.
	wctx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go func() {
		defer close(s.done)
		s.syncer.run(wctx)
	}()
}

// putPrefix is the subject prefix of a key's value, as kv.Put sends it:
// "$KV.<bucket>.", behind js's API prefix when it has one of its own (a
// JetStream domain, or an API prefix imported from another account), so
// that a record reaches the bucket wherever the API does. Remember sends
// its records itself rather than through kv.Put because the KV API has no
// atomic batch: concurrent deliveries' records share one sync
// (publish.Batcher), which kv.Put cannot express.
func putPrefix(js jetstream.JetStream, bucket string) string {
	pre := "$KV." + bucket + "."
	o := js.Options()
	switch {
	case o.Domain != "":
		return "$JS." + o.Domain + ".API." + pre
	case o.APIPrefix != "" && strings.TrimSuffix(o.APIPrefix, ".")+"." != jetstream.DefaultAPIPrefix:
		return strings.TrimSuffix(o.APIPrefix, ".") + "." + pre
	}
	return pre
}

// allowAtomic lets the bucket's stream take atomic batches, so that the
// records of concurrent deliveries share one sync (publish.Batcher).
// CreateOrUpdateKeyValue leaves the setting out. Best effort: without it
// the Batcher stores one record at a time.
func allowAtomic(ctx context.Context, js jetstream.JetStream, stream string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = retryOp(ctx, func(ctx context.Context) error {
		st, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		cfg := st.CachedInfo().Config
		if cfg.AllowAtomicPublish {
			return nil
		}
		cfg.AllowAtomicPublish = true
		_, err = js.UpdateStream(ctx, cfg)
		return err
	})
}

// Close stops the negative cache's watch and returns once its goroutines
// have ended, or with ctx's error when ctx ends first. Lookup and Remember
// keep working after Close, each through a round trip. Close is safe to
// call twice.
func (s *Store) Close(ctx context.Context) error {
	s.life.Lock()
	s.closed = true
	s.answer.Store(nil)
	done := s.done
	if s.stop != nil {
		s.stop()
	}
	s.life.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("idempotency store: close: %w", ctx.Err())
	}
}

// Ready reports whether the negative cache answers lookups now, that is
// whether its watch is in step with the bucket.
func (s *Store) Ready() bool { return s.answer.Load() != nil }

// CacheStats counts how the store answered since it was opened.
type CacheStats struct {
	Local    uint64 // lookups answered "not found" by the negative cache, without a round trip
	KVGets   uint64 // KV Get attempts of lookups (round trips), retries included
	Rebuilds uint64 // rebuilt filters that replaced the previous one
	Resyncs  uint64 // watches restarted after a disconnect, a stop or a lag
}

// Stats returns the store's counters.
func (s *Store) Stats() CacheStats {
	return CacheStats{Local: s.local.Load(), KVGets: s.gets.Load(), Rebuilds: s.rebuilds.Load(), Resyncs: s.resyncs.Load()}
}

// Lookup returns the record of a delivery, and whether there is one.
func (s *Store) Lookup(ctx context.Context, key uuid.UUID) (Record, bool, error) {
	if f := s.answer.Load(); f != nil && !f.mayHold(key) {
		s.local.Add(1)
		return Record{}, false, nil
	}
	var value []byte
	err := retryOp(ctx, func(ctx context.Context) error {
		s.gets.Add(1)
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
	b, err := gojson.Marshal(rec)
	if err != nil {
		return err
	}
	// What kv.Put sends, with its acknowledgement read without reflection.
	msg := &nats.Msg{Subject: s.putPrefix + key.String(), Data: b}
	if err := retryOp(ctx, func(ctx context.Context) error {
		var err error
		if s.batch != nil {
			_, err = s.batch.Store(ctx, msg)
		} else {
			_, err = publish.StoreOnce(ctx, s.nc.RequestMsgWithContext, msg)
		}
		return err
	}); err != nil {
		return fmt.Errorf("remember %s: %w", key, err)
	}
	// This replica's next lookup of key must not wait for the watch.
	s.mu.Lock()
	if s.cur != nil {
		s.cur.add(key)
	}
	if s.next != nil {
		s.next.add(key)
	}
	s.mu.Unlock()
	return nil
}

// retryPolicy is how the store retries a request to the bucket: backoff
// from 25ms to 1s with equal jitter, each attempt with its own timeout so a
// request lost in a disconnect is retried after the reconnect.
var retryPolicy = retry.Policy{
	Initial: 25 * time.Millisecond, Max: time.Second, Jitter: retry.Equal,
	AttemptTimeout: defaultAttemptTimeout, Retryable: transient,
}

// retryOp runs op until it succeeds, fails for good, or ctx ends. Every
// failure to answer wraps ErrUnavailable.
func retryOp(ctx context.Context, op func(context.Context) error) error {
	_, err := retry.Do(ctx, retryPolicy, op)
	switch {
	case err == nil:
		return nil
	case !transient(err):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w (gave up: %w)", ErrUnavailable, err, ctx.Err())
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
