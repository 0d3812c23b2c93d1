package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/metrics"
)

// adminMux serves the admin listener: liveness, readiness, metrics, the
// dead-letter API and the mapping playground.
func (d *Daemon) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.Handle("GET /metrics", metrics.Handler(d.registry, d.log))
	d.registerDLQ(mux)
	d.registerPlayground(mux)
	return mux
}

// readyz answers 200 when the bridge can store: NATS connected, both
// streams present and answering, mappings loaded; else 503 with each
// check's state, so a load balancer stops sending deliveries.
func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ready := true
	fail := func(name, msg string) { checks[name], ready = msg, false }
	if !d.started.Load() {
		fail("started", "still starting")
	} else {
		checks["started"] = "ok"
	}

	if set := d.mappings.Load(); set == nil {
		fail("mappings", "not loaded")
	} else {
		checks["mappings"] = "ok"
	}
	switch {
	case d.nc == nil || !d.nc.IsConnected():
		fail("nats", "not connected")
	default:
		checks["nats"] = "ok"
		for _, name := range []string{d.pub.Stream, d.pub.DLQStream, "KV_" + idem.DefaultBucket} {
			if err := d.streamCanStore(ctx, name); err != nil {
				fail("stream "+name, err.Error())
			} else {
				checks["stream "+name] = "ok"
			}
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks, "details": map[string]string{"sync": d.sync}})
}

// streamCanStore asks the stream's state: on a cluster, a node cut off from
// the others still answers from its own view, so a stream is only ready
// when it has a leader and a majority of its replicas is current.
func (d *Daemon) streamCanStore(ctx context.Context, name string) error {
	s, err := d.js.Stream(ctx, name)
	if err != nil {
		return err
	}
	info := s.CachedInfo()
	c := info.Cluster
	if c == nil || info.Config.Replicas <= 1 {
		return nil
	}
	if c.Leader == "" {
		return fmt.Errorf("no leader")
	}
	current := 1 // the leader
	for _, r := range c.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	if 2*current <= info.Config.Replicas {
		return fmt.Errorf("%d of %d replicas current: no quorum", current, info.Config.Replicas)
	}
	return nil
}
