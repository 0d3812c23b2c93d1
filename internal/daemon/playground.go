package daemon

import (
	"math"
	"net/http"
	"net/url"
	"os"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/bridge-dev/bridge/internal/buildinfo"
	"github.com/bridge-dev/bridge/internal/playground"
)

// registerPlayground serves the mapping playground on the admin listener:
// GET /playground and its API (POST /api/map, GET /api/mappings,
// GET /api/catalog). It reads the running mapping set and never changes it.
//
// Each dry run runs in a worker: this executable re-run as `bridge
// map-worker`, with memory and CPU limits, so that no pasted mapping can
// slow or kill the daemon (see docs/security.md). Without a path to its
// own executable, the daemon runs them itself, within their budget.
func (d *Daemon) registerPlayground(mux *http.ServeMux) {
	var worker *playground.Worker
	if exe, err := os.Executable(); err == nil {
		worker = &playground.Worker{Path: exe, Args: []string{"map-worker"}}
	} else {
		d.log.Warn("playground: dry runs run in the daemon, without a worker", "err", err)
	}
	playground.New(playground.Config{
		Mappings:   d.mappings.Load,
		SchemasDir: d.cfg.Schemas,
		About:      d.about,
		Logger:     d.log.With("component", "playground"),
		Worker:     worker,
		MutualTLS:  d.cfg.TLSClientCA != "",
	}).Register(mux)
}

// about says which bridge this is: its build, the NATS server it stores
// in (without credentials) and when its mapping set was loaded.
func (d *Daemon) about() playground.About {
	bi := buildinfo.Read()
	a := playground.About{Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion, NATSEmbedded: d.cfg.Embedded()}
	if d.nc != nil {
		a.NATSURL = withoutCredentials(d.nc.ConnectedUrl())
	}
	var m dto.Metric
	if err := d.metrics.MappingLastReloadSuccess.Write(&m); err == nil {
		if s := m.GetGauge().GetValue(); s > 0 {
			sec, frac := math.Modf(s)
			a.LoadedAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
	}
	return a
}

// withoutCredentials drops the user information of a URL.
func withoutCredentials(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u.User = nil
	return u.String()
}
