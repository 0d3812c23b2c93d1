package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// storeTools are what the tools that store events as bridge run does
// share (dlq replay, remap, backfill): a publisher and a dead-letter
// writer over bridge run's streams, and its idempotency bucket, opened
// with the settings it has, so that a tool changes none of them and a key
// it stores is remembered like a live one.
type storeTools struct {
	cfg   publish.Config
	pub   *publish.Publisher
	dead  *deadletter.Writer
	store *idem.Store

	// Set by connectStoreTools: the connection, and the context that ends
	// at SIGINT or SIGTERM.
	nc   *nats.Conn
	js   jetstream.JetStream
	ctx  context.Context
	stop context.CancelFunc
}

// connectStoreTools connects to bridge run's NATS as n says and opens its
// stores with the default stream settings (dlq replay, remap); close
// undoes both.
func connectStoreTools(n *natsFlags) (*storeTools, error) {
	nc, js, err := n.connect()
	if err != nil {
		return nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	t, err := openStoreTools(ctx, js, publish.DefaultConfig())
	if err != nil {
		stop()
		nc.Close()
		return nil, err
	}
	t.nc, t.js, t.ctx, t.stop = nc, js, ctx, stop
	return t, nil
}

func openStoreTools(ctx context.Context, js jetstream.JetStream, cfg publish.Config) (*storeTools, error) {
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		return nil, err
	}
	dead, err := deadletter.NewWriter(pub, cfg)
	if err != nil {
		return nil, err
	}
	store, err := openIdemStore(ctx, js)
	if err != nil {
		return nil, err
	}
	return &storeTools{cfg: cfg, pub: pub, dead: dead, store: store}, nil
}

// pipeline is bridge run's pipeline over the tools' stores.
func (t *storeTools) pipeline() *pipeline.Runner {
	return pipeline.New(t.pub, pipeline.Options{Dedupe: t.store, DeadLetters: t.dead})
}

// close closes the idempotency store, flushing what it holds, and the
// connection connectStoreTools made.
func (t *storeTools) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.store.Close(ctx)
	if t.nc != nil {
		t.nc.Close()
		t.stop()
	}
}

// idemBucket reads the settings of bridge run's idempotency bucket: its
// horizon (TTL) and replicas; found is false when no bridge made it yet.
func idemBucket(ctx context.Context, js jetstream.JetStream) (horizon time.Duration, replicas int, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, idem.DefaultBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("idempotency bucket %s: %w", idem.DefaultBucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return 0, 0, false, fmt.Errorf("idempotency bucket %s: %w", idem.DefaultBucket, err)
	}
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		replicas = bs.StreamInfo().Config.Replicas
	}
	return st.TTL(), replicas, true, nil
}

// openIdemStore opens the daemon's idempotency bucket with the horizon and
// replicas it already has, so a tool changes none of its settings; a
// bucket not made yet gets the defaults, as `bridge run` would give it.
func openIdemStore(ctx context.Context, js jetstream.JetStream) (*idem.Store, error) {
	cfg := idem.StoreConfig{Bucket: idem.DefaultBucket, Replicas: 1, Horizon: idem.DefaultHorizon}
	horizon, replicas, _, err := idemBucket(ctx, js)
	if err != nil {
		return nil, err
	}
	if horizon > 0 {
		cfg.Horizon = horizon
	}
	if replicas > 0 {
		cfg.Replicas = replicas
	}
	// A one-off tool gains nothing from watching every key of the bucket.
	cfg.CacheKeys = 0
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return idem.OpenStore(ctx, js, cfg)
}

// providerMapping loads provider's mapping file as bridge run does, with
// its own secrets from the environment, after finding it among the files
// of dir loaded with placeholder secrets: a tool run for one provider
// needs that provider's secrets only (hmac() in a rule must give the live
// values), not every other provider's.
func providerMapping(dir, schemas, provider string) (*transform.Mapping, error) {
	set, err := transform.Load(dir, transform.Options{SchemasDir: schemas, PlaceholderSecrets: true})
	if err != nil {
		return nil, err
	}
	found, ok := set.Mapping(provider)
	if !ok {
		return nil, fmt.Errorf("no mapping file for provider %q (have %s)", provider, strings.Join(set.Providers(), ", "))
	}
	data, err := os.ReadFile(found.File)
	if err != nil {
		return nil, err
	}
	m, ds := transform.Parse(found.File, data, transform.Options{SchemasDir: schemas})
	if len(ds) > 0 {
		return nil, &transform.LoadError{Diagnostics: ds}
	}
	return m, nil
}

// oneMapping is a set of one provider's mapping file.
type oneMapping struct{ m *transform.Mapping }

func (o oneMapping) Mapping(provider string) (*transform.Mapping, bool) {
	return o.m, provider == o.m.Provider
}
