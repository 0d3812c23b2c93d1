package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
)

// A message JetStream cannot store is tried MaxDeliver times, no fewer and
// no more, then dead-lettered (reason max_deliveries) with its mapping
// file and counted under its provider. A message stored is acknowledged
// without a warning.
func TestNATSIngestDeadLettersAfterMaxDeliver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var logs natstest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	st := startStore(ctx, t, log)
	reg := prometheus.NewRegistry()
	met, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultNATSConfig()
	cfg.MaxDeliver, cfg.Timeout, cfg.AckWait, cfg.Logger, cfg.Metrics = 2, 300*time.Millisecond, 5*time.Second, log, met
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
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(shutdown)
	publishOrder := func(id string) {
		t.Helper()
		if _, err := st.js.Publish(ctx, "ingest.shop", fmt.Appendf(nil, `{"id":%q,"kind":"paid","note":"n"}`, id)); err != nil {
			t.Fatal(err)
		}
	}
	publishOrder("ord_stored")
	natstest.CheckFor(t, 10*time.Second, 25*time.Millisecond, func() error {
		if got := len(natstest.StreamMessages(t, st.js, cfg.Stream)); got != 0 {
			return fmt.Errorf("%d ingest messages not acknowledged", got)
		}
		return nil
	})

	if err := st.js.DeleteStream(ctx, st.pcfg.Stream); err != nil {
		t.Fatal(err)
	}
	publishOrder("ord_lost")
	natstest.CheckFor(t, 20*time.Second, 25*time.Millisecond, func() error {
		if got := len(natstest.StreamMessages(t, st.js, st.pcfg.DLQStream)); got != 1 {
			return fmt.Errorf("%d dead letters, want 1", got)
		}
		return nil
	})
	dead := natstest.StreamMessages(t, st.js, st.pcfg.DLQStream)[0]
	m, _ := st.set.Mapping("shop")
	if got := dead.Header.Get(deadletter.HeaderReason); got != string(deadletter.ReasonMaxDeliveries) {
		t.Errorf("dead letter's reason %q, want %s", got, deadletter.ReasonMaxDeliveries)
	}
	if got := dead.Header.Get(deadletter.HeaderError); !strings.HasPrefix(got, "not stored after 2 deliveries: ") {
		t.Errorf("dead letter's error %q, want it stored after the 2nd delivery (MaxDeliver)", got)
	}
	if got := dead.Header.Get(deadletter.HeaderMappingFile); got == "" || got != m.File {
		t.Errorf("dead letter's mapping file %q, want %q", got, m.File)
	}

	shutdown()
	if strings.Contains(logs.String(), "nats ingest: ack") {
		t.Errorf("an acknowledgement that succeeded is logged as failed: %s", logs.String())
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bridge_dead_letters_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "provider" {
					providers[l.GetValue()] += mt.GetCounter().GetValue()
				}
			}
		}
	}
	if len(providers) != 1 || providers["shop"] != 1 {
		t.Errorf("dead letters counted by provider %v, want shop: 1", providers)
	}
}
