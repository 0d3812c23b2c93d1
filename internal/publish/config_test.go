package publish

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	want := Config{
		Stream: "EVENTS", Subjects: []string{"event.>"},
		DLQStream: "EVENTS_DLQ", DLQSubjects: []string{"dlq.>"},
		Replicas: 1, DuplicateWindow: 2 * time.Minute, MaxBytes: -1, MaxAge: 0,
		ManageStreams: true, RetryInitial: 50 * time.Millisecond, RetryMax: time.Second,
		AttemptTimeout: 2 * time.Second,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("DefaultConfig() = %+v, want %+v", cfg, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"empty stream", func(c *Config) { c.Stream = "" }, []string{"stream: empty"}},
		{"dotted stream", func(c *Config) { c.Stream = "A.B" }, []string{`stream: "A.B" may not contain`}},
		{"no subjects", func(c *Config) { c.Subjects = nil }, []string{"subjects: empty"}},
		{"bad subject", func(c *Config) { c.Subjects = []string{"event..x", "a.>.b", "a b"} }, []string{"empty token", "'>' before its last token", "whitespace"}},
		{"same streams", func(c *Config) { c.DLQStream = c.Stream }, []string{`dlq stream: "EVENTS" is also the events stream`}},
		{"same subjects", func(c *Config) { c.DLQSubjects = []string{"event.>"} }, []string{`dlq subjects: "event.>" is also an events subject`}},
		{"replicas 0", func(c *Config) { c.Replicas = 0 }, []string{"replicas: 0, want 1..5"}},
		{"replicas 6", func(c *Config) { c.Replicas = 6 }, []string{"replicas: 6, want 1..5"}},
		{"no duplicate window", func(c *Config) { c.DuplicateWindow = 0 }, []string{"duplicate window: 0s, want > 0"}},
		{"max bytes 0", func(c *Config) { c.MaxBytes = 0 }, []string{"max bytes: 0"}},
		{"negative max age", func(c *Config) { c.MaxAge = -time.Second }, []string{"max age: -1s"}},
		{"window over max age", func(c *Config) { c.MaxAge = time.Minute }, []string{"duplicate window: 2m0s is longer than max age 1m0s"}},
		{"retry", func(c *Config) { c.RetryInitial = 0; c.RetryMax = -1 }, []string{"retry initial: 0s", "retry max: -1ns"}},
		{"attempt timeout", func(c *Config) { c.AttemptTimeout = 0 }, []string{"attempt timeout: 0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.mutate(&cfg)
			before := cfg
			before.Subjects = append([]string(nil), cfg.Subjects...)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, missing %q", err, w)
				}
			}
			if !reflect.DeepEqual(cfg, before) {
				t.Errorf("Validate changed the config: %+v", cfg)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for a zero Config")
	}
	lines := strings.Split(err.Error(), "\n")
	// stream, subjects, dlq stream, dlq subjects, replicas, duplicate window,
	// max bytes, retry initial, attempt timeout
	if len(lines) != 9 {
		t.Errorf("Validate() gave %d problems, want 9:\n%s", len(lines), err)
	}
}
