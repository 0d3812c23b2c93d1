package ingest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/transform"
)

// outcomes reads bridge_deliveries_total of provider shop on NATS
// from reg, by outcome.
func outcomes(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bridge_deliveries_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] == "shop" && labels["ingest"] == transform.IngestNATS {
				out[labels["outcome"]] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// The one delivery path of the doors, against a real pipeline and
// JetStream: deliver stores a delivery within the door's deadline and
// counts each outcome once; with JetStream gone the delivery fails when
// the deadline comes, counted as failed unless the door counts it itself.
func TestDoorDeliver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	st := startStore(ctx, t, log)
	m, _ := st.set.Mapping("shop")
	reg := prometheus.NewRegistry()
	met, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := door{ingest: transform.IngestNATS, timeout: 10 * time.Second, pipe: pipeline.New(st.publisher, pipeline.Options{Logger: log}), metrics: met}
	input := func(body string) transform.Input {
		in := transform.NewInput("shop", transform.IngestNATS, []byte(body), nil, time.Now().UTC())
		if in.Payload, err = jsonx.Decode(in.Body); err != nil {
			t.Fatal(err)
		}
		return in
	}

	for _, tc := range []struct {
		name string
		body string
		want pipeline.Outcome
	}{
		{"stored", `{"id":"o1","kind":"paid","note":"a"}`, pipeline.Published},
		{"the same again", `{"id":"o1","kind":"paid","note":"a"}`, pipeline.Duplicate},
		{"no rule takes it", `{"id":"o2","kind":"refunded"}`, pipeline.DeadLettered},
	} {
		if v := d.deliver(ctx, m, input(tc.body)); v.Outcome != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, v.Outcome, v.Err, tc.want)
		}
	}
	if got := len(natstest.StreamMessages(t, st.js, st.pcfg.Stream)); got != 1 {
		t.Errorf("%d events stored, want 1", got)
	}
	want := map[string]float64{"published": 1, "duplicate": 1, "dead_lettered": 1}
	if got := outcomes(t, reg); len(got) != len(want) || got["published"] != 1 || got["duplicate"] != 1 || got["dead_lettered"] != 1 {
		t.Errorf("outcomes %v, want %v", got, want)
	}

	st.srv.Stop(t)
	const timeout = time.Second // the door's deadline is all a delivery then waits
	d.timeout = timeout
	for _, countFailed := range []bool{true, false} {
		in := input(`{"id":"o3","kind":"paid","note":"down"}`)
		v := d.run(ctx, "shop", in.ReceivedAt, func(ctx context.Context) pipeline.Verdict {
			if dl, ok := ctx.Deadline(); !ok || dl.After(time.Now().Add(timeout)) {
				t.Errorf("the pipeline runs with deadline %v (%v), want the door's, at most %s away", dl, ok, timeout)
			}
			return d.pipe.Begin(m, in).Finish(ctx)
		}, countFailed)
		if v.Outcome != pipeline.Failed {
			t.Errorf("with JetStream stopped: %v, want failed", v.Outcome)
		}
	}
	if got := outcomes(t, reg)["failed"]; got != 1 {
		t.Errorf("%v failed outcomes, want 1 (the one counted)", got)
	}
}
