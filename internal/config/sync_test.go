package config

import (
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natsembed"
)

// TestLoadSync reads --sync and --nats-monitor-url from each source and
// rejects what is not always, a positive duration or an http(s) URL.
func TestLoadSync(t *testing.T) {
	file := writeConfig(t, "nats:\n  sync: 30s\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		sync    time.Duration
		monitor string
		err     string
	}{
		{name: "default: always", sync: SyncAlways},
		{name: "flag always", args: []string{"--sync", "Always"}, sync: SyncAlways},
		{name: "flag interval", args: []string{"--sync", "2m"}, sync: 2 * time.Minute},
		{name: "env", env: map[string]string{"BRIDGE_SYNC": "1s"}, sync: time.Second},
		{name: "file", args: []string{"--config", file}, sync: 30 * time.Second},
		{name: "flag beats file", args: []string{"--config", file, "--sync", "always"}, sync: SyncAlways},
		{name: "zero", args: []string{"--sync", "0"},
			err: `flag --sync: invalid sync "0" (want always, or a positive duration such as 1s or 2m)`},
		{name: "negative", args: []string{"--sync", "-1s"},
			err: `flag --sync: invalid sync "-1s" (want always, or a positive duration such as 1s or 2m)`},
		{name: "word", args: []string{"--sync", "never"},
			err: `flag --sync: invalid sync "never" (want always, or a positive duration such as 1s or 2m)`},
		{name: "monitor url", args: []string{"--nats-url", "nats://n1:4222", "--nats-monitor-url", "http://n1:8222"},
			sync: SyncAlways, monitor: "http://n1:8222"},
		{name: "monitor url without nats url", args: []string{"--nats-monitor-url", "http://n1:8222"},
			err: "--nats-monitor-url: needs --nats-url: the embedded server's sync policy is --sync"},
		{name: "monitor url not http", args: []string{"--nats-url", "nats://n1:4222", "--nats-monitor-url", "nats://n1:8222"},
			err: `--nats-monitor-url: want http://host:port or https://host:port, got "nats://n1:8222"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := load(t, tt.args, tt.env)
			if tt.err != "" {
				if !strings.Contains(errText(err), tt.err) {
					t.Fatalf("Load error = %q, want it to contain %q", errText(err), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.EmbeddedNATS.Sync != tt.sync || cfg.NATSMonitorURL != tt.monitor {
				t.Errorf("Sync, NATSMonitorURL = %v, %q; want %v, %q", cfg.EmbeddedNATS.Sync, cfg.NATSMonitorURL, tt.sync, tt.monitor)
			}
		})
	}
	if got := formatSync(Default().EmbeddedNATS.Sync); got != "always" {
		t.Errorf("default --sync shown as %q, want always", got)
	}
	if err := (Config{EmbeddedNATS: natsembed.Config{Sync: -time.Second}}).Validate(); !strings.Contains(errText(err), "--sync: must be always or a positive duration, got -1s") {
		t.Errorf("Validate of a negative Sync = %v", err)
	}
}
