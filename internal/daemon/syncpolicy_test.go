package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/bridge-dev/bridge/internal/config"
)

const lazyWarning = "nats-server acknowledges writes before they are synced to disk"

// readySync is /readyz's details.sync.
func readySync(t *testing.T, b *bridge) string {
	t.Helper()
	r := do(t, mustRequest(t, http.MethodGet, b.admin+"/readyz"))
	var body struct {
		Details map[string]string `json:"details"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatalf("readyz: %v\n%s", err, r.raw)
	}
	return body.Details["sync"]
}

// TestSyncPolicyShown checks that the embedded server syncs always unless
// told otherwise, that the lazy mode is logged as a warning at start, and
// that /readyz shows the policy in its details.
func TestSyncPolicyShown(t *testing.T) {
	tests := []struct {
		name string
		sync time.Duration
		want string // prefix of details.sync
		warn bool
	}{
		{"default: always", config.SyncAlways, "always", false},
		{"lazy", 2 * time.Minute, "every 2m0s: acknowledged deliveries may be lost", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			b := launchBridge(t, setup{logs: logs, edit: func(c *config.Config) { c.EmbeddedNATS.Sync = tc.sync }})
			if got := readySync(t, b); !strings.HasPrefix(got, tc.want) {
				t.Errorf("readyz details.sync = %q, want it to start with %q", got, tc.want)
			}
			warns := logs.records(t, lazyWarning)
			if tc.warn != (len(warns) == 1) {
				t.Fatalf("%d warnings %q, want warned = %v", len(warns), lazyWarning, tc.warn)
			}
			if tc.warn && (warns[0]["level"] != "WARN" || warns[0]["sync"] != "every 2m0s") {
				t.Errorf("warning = %v", warns[0])
			}
			// Batches share syncs; a server that does not sync gains nothing.
			if b.pub.NoBatch != tc.warn || b.lazySync != tc.warn {
				t.Errorf("NoBatch %v, lazySync %v; want both %v", b.pub.NoBatch, b.lazySync, tc.warn)
			}
		})
	}
}

// TestSyncPolicyOfExternalServer starts real nats-servers with monitoring,
// one syncing always and one lazy, and checks that a bridge given
// --nats-monitor-url reads the policy, warns about the lazy one and shows
// both in /readyz; without the URL the policy is unknown.
func TestSyncPolicyOfExternalServer(t *testing.T) {
	tests := []struct {
		name    string
		opts    server.Options
		monitor bool
		want    string
		warn    bool
	}{
		{"always", server.Options{SyncAlways: true, SyncInterval: 2 * time.Minute}, true, "always", false},
		{"lazy", server.Options{SyncInterval: 30 * time.Second}, true, "every 30s: acknowledged deliveries may be lost", true},
		{"no monitor url", server.Options{}, false, "unknown: set --nats-monitor-url", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Host, opts.Port, opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1, "127.0.0.1", -1
			opts.JetStream, opts.StoreDir, opts.NoSigs, opts.NoLog = true, t.TempDir(), true, true
			s, err := server.NewServer(&opts)
			if err != nil {
				t.Fatal(err)
			}
			s.Start()
			t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
			if !s.ReadyForConnections(5 * time.Second) {
				t.Fatal("nats-server not ready")
			}
			logs := &logBuffer{}
			b := launchBridge(t, setup{logs: logs, edit: func(c *config.Config) {
				c.NATSURLs = []string{s.ClientURL()}
				if tc.monitor {
					c.NATSMonitorURL = fmt.Sprintf("http://%s", s.MonitorAddr())
				}
			}})
			if got := readySync(t, b); !strings.HasPrefix(got, tc.want) {
				t.Errorf("readyz details.sync = %q, want it to start with %q", got, tc.want)
			}
			if warns := logs.records(t, lazyWarning); tc.warn != (len(warns) == 1) {
				t.Errorf("%d warnings %q, want warned = %v", len(warns), lazyWarning, tc.warn)
			}
			if b.pub.NoBatch != tc.warn {
				t.Errorf("NoBatch %v, want %v (batch unless the server is known not to sync always)", b.pub.NoBatch, tc.warn)
			}
		})
	}
}
