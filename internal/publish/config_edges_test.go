package publish

import (
	"testing"
	"time"
)

// The bounds Validate holds are inclusive: MaxReplicas replicas, and a
// duplicate window as long as max age, are valid; -1 max bytes is
// unlimited.
func TestValidateAtTheBounds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"MaxReplicas replicas", func(c *Config) { c.Replicas = MaxReplicas }},
		{"one replica", func(c *Config) { c.Replicas = 1 }},
		{"window as long as max age", func(c *Config) { c.MaxAge = c.DuplicateWindow }},
		{"unlimited max bytes", func(c *Config) { c.MaxBytes = -1 }},
		{"unlimited max age", func(c *Config) { c.MaxAge = 0; c.DuplicateWindow = 24 * time.Hour }},
	} {
		cfg := DefaultConfig()
		tc.mutate(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
