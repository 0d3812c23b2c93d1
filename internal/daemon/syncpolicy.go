package daemon

import (
	"context"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/internal/publish"
)

// monitorTimeout bounds the read of an external server's /varz at start.
const monitorTimeout = 5 * time.Second

// syncPolicy says how the NATS server syncs JetStream writes, for /readyz,
// and warns when a 2xx may not survive a crash of the machine: the
// embedded server's policy is --sync; an external server's is read from
// --nats-monitor-url when given, else it is unknown to a client. lazy is
// true only when the server is known not to sync every write: then
// batching the writes (publish.Batcher) would cost more than it shares.
func (d *Daemon) syncPolicy(ctx context.Context) (text string, lazy bool) {
	const risk = "acknowledged deliveries may be lost on a crash or power loss until synced"
	if d.embedded != nil {
		if d.embedded.SyncAlways() {
			return "always", false
		}
		p := publish.SyncPolicy{Interval: d.embedded.SyncInterval()}
		d.log.Warn("nats-server acknowledges writes before they are synced to disk",
			"server", "embedded", "sync", p.String(), "risk", risk, "fix", "--sync always")
		return p.String() + ": " + risk, true
	}
	if d.cfg.NATSMonitorURL == "" {
		return "unknown: set --nats-monitor-url to check the server's sync_interval", false
	}
	ctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	defer cancel()
	// A client of its own, its connection closed once read: nothing of it
	// stays behind (a keep-alive connection has goroutines of its own).
	client := &http.Client{Timeout: monitorTimeout, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment}}
	defer client.CloseIdleConnections()
	p, err := publish.ReadSyncPolicy(ctx, client, d.cfg.NATSMonitorURL)
	if err != nil {
		d.log.Warn("cannot read the NATS server's sync policy", "err", err)
		return "unknown: " + err.Error(), false
	}
	if !p.Always {
		d.log.Warn("nats-server acknowledges writes before they are synced to disk",
			"server", d.cfg.NATSMonitorURL, "sync", p.String(), "risk", risk, "fix", "sync_interval: always in every node's jetstream block")
		return p.String() + ": " + risk, true
	}
	return p.String(), false
}
