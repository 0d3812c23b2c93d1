package daemon

import (
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
)

// New checks, beyond the settings (config.Validate), the configuration
// each component is handed, with the component's own Validate: a value no
// flag sets is still refused, naming the component's field.
func TestNewValidatesEachComponent(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *config.Config)
		want string // "" valid
	}{
		{name: "default", edit: func(*config.Config) {}},
		{name: "publish", edit: func(c *config.Config) { c.Streams.RetryInitial = 0 }, want: "retry initial: 0s, want > 0"},
		{name: "idempotency store", edit: func(c *config.Config) { c.Idempotency.Bucket = "" }, want: "idempotency bucket: empty name"},
		{name: "embedded server", edit: func(c *config.Config) { c.EmbeddedNATS.Listen = "127.0.0.1:70000" },
			want: "port must be -1 (random) or 0..65535"},
		{name: "embedded server unused", edit: func(c *config.Config) {
			c.EmbeddedNATS.Listen, c.NATSURLs = "127.0.0.1:70000", []string{"nats://127.0.0.1:4222"}
		}},
		{name: "settings first", edit: func(c *config.Config) { c.Streams.RetryInitial, c.MaxInFlight = 0, 0 },
			want: "--max-in-flight: must be at least 1, got 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.EventsAuthSource = "flag --events-auth"
			tc.edit(&cfg)
			err := validate(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("validate() = %v, want it to say %q", err, tc.want)
			}
			if tc.want != "" {
				if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("New() = %v, want it to say %q", err, tc.want)
				}
			}
		})
	}
}
