package daemon

import (
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// Calls the protocol's server answers itself (not an envelope, a bad name,
// identity with auth, no credential) are counted as rejections by reason,
// like every refused webhook.
func TestEventsRefusalsAreCounted(t *testing.T) {
	t.Setenv(config.EnvEventsSecret, "k3y")
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.EventsAuth, c.EventsSecret = "token", "k3y" })
	ct := map[string]string{"Content-Type": "application/json"}
	for _, body := range []string{
		`not json`,
		`{"name":"ledger:ledger:create","version":1,"id":"s","flowId":"f","payload":{}}`,                                                  // no token
		`{"name":"Ledger","version":1,"id":"s","flowId":"f","payload":{},"auth":{"token":"k3y"}}`,                                         // bad name
		`{"name":"ledger:ledger:create","version":1,"id":"s","flowId":"f","payload":{},"auth":{"token":"k3y"},"identity":{"userId":"u"}}`, // both
		`{"name":"ledger:ledger:create","version":1,"id":"s","payload":{},"auth":{"token":"k3y"}}`,                                        // no flowId
	} {
		if r := post(t, b.base+"/events/", []byte(body), ct); r.status != 200 {
			t.Fatalf("%s: %d %s", body, r.status, r.raw)
		}
	}
	wantMetrics(t, scrape(t, b), map[string]float64{
		`bridge_rejections_total{ingest="events",provider="unknown",reason="bad_protocol"}`:       2,
		`bridge_rejections_total{ingest="events",provider="unknown",reason="unauthorized"}`:       1,
		`bridge_rejections_total{ingest="events",provider="unknown",reason="invalid_name"}`:       1,
		`bridge_rejections_total{ingest="events",provider="unknown",reason="identity_with_auth"}`: 1,
	})
}
