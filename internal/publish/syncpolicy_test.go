package publish

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats-server/v2/server"
)

// startMonitored starts a nats-server with its monitoring port on a random
// loopback port and returns the monitoring URL.
func startMonitored(t *testing.T, opts server.Options) string {
	t.Helper()
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
	opts.NoSigs, opts.NoLog = true, true
	if opts.JetStream {
		opts.StoreDir = t.TempDir()
	}
	s, err := server.NewServer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return fmt.Sprintf("http://%s", s.MonitorAddr())
}

// TestReadSyncPolicy reads the policy of real servers started with each
// setting, and names the URL when the answer is not a JetStream /varz.
func TestReadSyncPolicy(t *testing.T) {
	tests := []struct {
		name string
		opts server.Options
		want string
		err  string
	}{
		{name: "sync always", opts: server.Options{JetStream: true, SyncAlways: true, SyncInterval: 2 * time.Minute}, want: "always"},
		{name: "default: lazy", opts: server.Options{JetStream: true}, want: "every 2m0s"},
		{name: "lazy 10s", opts: server.Options{JetStream: true, SyncInterval: 10 * time.Second}, want: "every 10s"},
		{name: "no JetStream", opts: server.Options{}, err: "the server has no JetStream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := startMonitored(t, tc.opts)
			got, err := ReadSyncPolicy(natstest.Context(t, 5*time.Second), http.DefaultClient, u)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), u) {
					t.Fatalf("error = %v, want one naming %s and containing %q", err, u, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("policy = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("not a monitor", func(t *testing.T) {
		u := startMonitored(t, server.Options{})
		_, err := ReadSyncPolicy(natstest.Context(t, 5*time.Second), http.DefaultClient, u+"/nothing/")
		if err == nil || !strings.Contains(err.Error(), "status 404") {
			t.Errorf("error = %v, want a 404 named", err)
		}
	})
}
