package ingest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
)

// Start makes the ingest consumer the bridge relies on: never given up by
// the server (MaxDeliver -1: the bridge dead-letters after its own
// MaxDeliver) and holding twice what the workers take at once. Shutdown is
// safe before Start.
func TestNATSIngestConsumerConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var logs natstest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	st := startStore(ctx, t, log)
	cfg := DefaultNATSConfig()
	cfg.Batch, cfg.Workers, cfg.Logger = 3, 5, log
	if err := publish.EnsureStream(ctx, st.js, st.pcfg, cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	dlw, err := deadletter.NewWriter(st.publisher, st.pcfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNATS(st.js, st.nc, func() Mappings { return st.set }, pipeline.New(st.publisher, pipeline.Options{Logger: log}), dlw, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown before start: %v", err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	cons, err := st.js.Consumer(ctx, cfg.Stream, cfg.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	c := cons.CachedInfo().Config
	if c.MaxDeliver != -1 || c.MaxAckPending != 3*5*2 {
		t.Errorf("consumer: max deliver %d, max ack pending %d; want -1, 30", c.MaxDeliver, c.MaxAckPending)
	}
}
