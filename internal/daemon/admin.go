package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

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
		for _, name := range []string{d.pub.Stream, d.pub.DLQStream} {
			if _, err := d.js.Stream(ctx, name); err != nil {
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
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks})
}
