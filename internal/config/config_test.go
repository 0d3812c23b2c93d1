package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	want := Config{
		HTTP:               ":8080",
		Admin:              "127.0.0.1:9090",
		Mappings:           "./mappings",
		Schemas:            "./schemas",
		NATSListen:         "127.0.0.1:4222",
		DataDir:            "./data",
		Replicas:           1,
		ManageStreams:      true,
		DuplicateWindow:    2 * time.Minute,
		MaxBytes:           -1,
		MaxAge:             0,
		IdempotencyHorizon: 72 * time.Hour,
		MaxInFlight:        1024,
		IngestConsumer:     "bridge", IngestBatch: 64, IngestWorkers: 8, IngestMaxDeliver: 10, IngestAckWait: 30 * time.Second, EventsAuth: "none",
		BodyLimit:      1 << 20,
		RequestTimeout: 10 * time.Second,
		RateBurst:      50,
		Grace:          30 * time.Second,
		LogFormat:      "json",
		LogLevel:       slog.LevelInfo,
	}
	if got := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Default() = %+v\nwant %+v", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if !Default().Embedded() {
		t.Error("Default().Embedded() = false, want true")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"replicas zero", func(c *Config) { c.Replicas = 0 }, "--replicas: must be between 1 and 5, got 0"},
		{"replicas seven", func(c *Config) { c.Replicas = 7; c.NATSURLs = []string{"nats://a:4222"} },
			"--replicas: must be between 1 and 5, got 7"},
		{"replicas three on a cluster", func(c *Config) { c.Replicas = 3; c.NATSURLs = []string{"nats://a:4222"} }, ""},
		{"replicas three embedded", func(c *Config) { c.Replicas = 3 },
			"--replicas: must be 1 with the embedded server (no --nats-url), got 3"},
		{"log format unknown", func(c *Config) { c.LogFormat = "xml" }, `--log-format: must be json or text, got "xml"`},
		{"log level unknown", func(c *Config) { c.LogLevel = slog.LevelInfo + 2 },
			"--log-level: must be debug, info, warn or error, got INFO+2"},
		{"zero body limit", func(c *Config) { c.BodyLimit = 0 }, "--body-limit: must be greater than 0, got 0"},
		{"zero request timeout", func(c *Config) { c.RequestTimeout = 0 }, "--request-timeout: must be greater than 0, got 0"},
		{"negative request timeout", func(c *Config) { c.RequestTimeout = -time.Second },
			"--request-timeout: must be greater than 0, got -1s"},
		{"zero grace", func(c *Config) { c.Grace = 0 }, "--grace: must be greater than 0, got 0"},
		{"zero duplicate window", func(c *Config) { c.DuplicateWindow = 0 }, "--duplicate-window: must be greater than 0, got 0"},
		{"duplicate window beyond max age", func(c *Config) { c.MaxAge = time.Minute },
			"--duplicate-window: must not exceed --stream-max-age (1m), got 2m"},
		{"negative max age", func(c *Config) { c.MaxAge = -time.Hour }, "--stream-max-age: must be 0 (for ever) or more, got -1h"},
		{"zero max bytes", func(c *Config) { c.MaxBytes = 0 }, "--stream-max-bytes: must be -1 (no cap) or greater than 0, got 0"},
		{"max bytes below minus one", func(c *Config) { c.MaxBytes = -5 },
			"--stream-max-bytes: must be -1 (no cap) or greater than 0, got -5"},
		{"bad http address", func(c *Config) { c.HTTP = "8080" }, `--http: want host:port, got "8080"`},
		{"empty mappings", func(c *Config) { c.Mappings = "" }, "--mappings: must not be empty"},
		{"nats urls of every form", func(c *Config) {
			c.NATSURLs = []string{"nats://a:4222", "tls://b", "ws://c:80", "wss://d", "e:4222", "127.0.0.1:4222"}
		}, ""},
		{"nats url scheme", func(c *Config) { c.NATSURLs = []string{"http://a:4222"} },
			`--nats-url: "http://a:4222": scheme must be nats, tls, ws or wss`},
		{"nats url garbage", func(c *Config) { c.NATSURLs = []string{"nats"} },
			`--nats-url: "nats": want nats://host:port or host:port`},
		{"every problem, sorted", func(c *Config) {
			c.Replicas, c.LogFormat, c.BodyLimit, c.Grace, c.Admin = 9, "yaml", 0, 0, ""
		}, strings.Join([]string{
			`--admin: want host:port, got ""`,
			"--body-limit: must be greater than 0, got 0",
			"--grace: must be greater than 0, got 0",
			`--log-format: must be json or text, got "yaml"`,
			"--replicas: must be between 1 and 5, got 9",
		}, "\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			before := c
			if got := errText(c.Validate()); got != tc.want {
				t.Errorf("Validate() =\n%s\nwant\n%s", got, tc.want)
			}
			if !reflect.DeepEqual(c, before) {
				t.Error("Validate changed the config")
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	tests := []struct {
		name string
		urls []string
		want bool
	}{
		{"no urls", nil, true},
		{"empty list", []string{}, true},
		{"one url", []string{"nats://a:4222"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.NATSURLs = tc.urls
			if got := c.Embedded(); got != tc.want {
				t.Errorf("Embedded() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLogger(t *testing.T) {
	tests := []struct {
		name   string
		format string
		level  slog.Level
		want   []string // substrings of the output
		absent []string
	}{
		{"json at info", FormatJSON, slog.LevelInfo, []string{`"level":"INFO"`, `"msg":"shown"`, `"k":"v"`}, []string{"hidden"}},
		{"text at info", FormatText, slog.LevelInfo, []string{"level=INFO", "msg=shown", "k=v"}, []string{"hidden", "{"}},
		{"json at debug", FormatJSON, slog.LevelDebug, []string{`"msg":"hidden"`, `"msg":"shown"`}, nil},
		{"text at error", FormatText, slog.LevelError, nil, []string{"hidden", "shown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.LogFormat, c.LogLevel = tc.format, tc.level
			var buf bytes.Buffer
			log := c.Logger(&buf)
			log.Debug("hidden")
			log.Info("shown", "k", "v")
			out := buf.String()
			for _, s := range tc.want {
				if !strings.Contains(out, s) {
					t.Errorf("output %q lacks %q", out, s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(out, s) {
					t.Errorf("output %q has %q", out, s)
				}
			}
		})
	}
}
