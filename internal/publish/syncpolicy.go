package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SyncPolicy is how a nats-server writes JetStream data to disk: Always
// syncs every write before acknowledging it (sync_interval: always);
// otherwise writes are acknowledged before they reach the disk and synced
// in the background every Interval, and a crash of the machine loses what
// was acknowledged since the last sync.
type SyncPolicy struct {
	Always   bool
	Interval time.Duration
}

// String is "always", or "every <interval>" for the lazy mode.
func (p SyncPolicy) String() string {
	if p.Always {
		return "always"
	}
	return "every " + p.Interval.String()
}

// maxVarz bounds the monitoring answer read; a /varz is a few kB.
const maxVarz = 4 << 20

// ReadSyncPolicy asks a nats-server's monitoring endpoint (monitorURL, such
// as http://n1:8222) for its JetStream sync policy, from GET /varz. A client
// connection cannot see it. The error names the URL and what was wrong.
func ReadSyncPolicy(ctx context.Context, client *http.Client, monitorURL string) (SyncPolicy, error) {
	u, err := url.Parse(monitorURL)
	if err != nil || u.Host == "" {
		return SyncPolicy{}, fmt.Errorf("nats monitor URL %q: want http://host:port", monitorURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/varz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return SyncPolicy{}, fmt.Errorf("nats monitor %s: %w", u.Redacted(), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return SyncPolicy{}, fmt.Errorf("nats monitor: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return SyncPolicy{}, fmt.Errorf("nats monitor %s: status %s", u.Redacted(), resp.Status)
	}
	var varz struct {
		JetStream struct {
			Config *struct {
				SyncInterval time.Duration `json:"sync_interval"`
				SyncAlways   bool          `json:"sync_always"`
			} `json:"config"`
		} `json:"jetstream"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxVarz)).Decode(&varz); err != nil {
		return SyncPolicy{}, fmt.Errorf("nats monitor %s: not a /varz answer: %w", u.Redacted(), err)
	}
	if varz.JetStream.Config == nil {
		return SyncPolicy{}, fmt.Errorf("nats monitor %s: the server has no JetStream", u.Redacted())
	}
	c := varz.JetStream.Config
	if c.SyncAlways {
		return SyncPolicy{Always: true}, nil
	}
	interval := c.SyncInterval
	if interval == 0 {
		interval = 2 * time.Minute // nats-server's default, omitted from /varz
	}
	return SyncPolicy{Interval: interval}, nil
}
