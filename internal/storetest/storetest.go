// Package storetest sets up what the pipeline stores into, for tests: a
// real NATS server with JetStream (natstest), the bridge's streams, a
// publisher, the idempotency store and the dead-letter writer, as the
// daemon wires them. The pipeline's, the doors' and replay's tests share it.
package storetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// Store is one test's JetStream and the bridge's writers on it.
type Store struct {
	Srv       *natstest.Server
	NC        *nats.Conn
	JS        jetstream.JetStream
	Config    publish.Config
	Publisher *publish.Publisher
	Idem      *idem.Store // the idempotency store, horizon one hour, cache not started
	Dead      *deadletter.Writer
}

// Options change Start's defaults.
type Options struct {
	Edit   func(*publish.Config) // nil: publish.DefaultConfig
	Logger *slog.Logger          // the publisher's; nil discards
}

// Start starts a NATS server and sets up the streams, the publisher, the
// idempotency store and the dead-letter writer; everything stops when t
// ends.
func Start(t testing.TB, opts Options) *Store {
	t.Helper()
	s := &Store{Srv: natstest.Start(t), Config: publish.DefaultConfig()}
	if opts.Edit != nil {
		opts.Edit(&s.Config)
	}
	s.NC, s.JS = natstest.Connect(t, s.Srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := publish.EnsureStreams(ctx, s.JS, s.Config); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.Publisher, err = publish.New(s.JS, s.Config, opts.Logger); err != nil {
		t.Fatal(err)
	}
	if s.Idem, err = idem.OpenStore(ctx, s.JS, idem.StoreConfig{Bucket: idem.DefaultBucket, Replicas: 1, Horizon: time.Hour}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		_ = s.Idem.Close(cctx)
	})
	if s.Dead, err = deadletter.NewWriter(s.Publisher, s.Config); err != nil {
		t.Fatal(err)
	}
	return s
}
