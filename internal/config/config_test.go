package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/natsembed"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/tracing"
)

func TestDefault(t *testing.T) {
	// The stream names and retries are publish's own; the settings, pinned here.
	streams := publish.DefaultConfig()
	streams.Replicas, streams.ManageStreams, streams.DuplicateWindow, streams.MaxBytes, streams.MaxAge = 1, true, 2*time.Minute, -1, 0
	want := Config{
		HTTP:           ":8080",
		Admin:          "127.0.0.1:9090",
		Mappings:       "./mappings",
		Schemas:        "./schemas",
		EmbeddedNATS:   natsembed.Config{Listen: "127.0.0.1:4222", StoreDir: "./data", Name: "bridge-embedded", Sync: 0},
		Streams:        streams,
		Idempotency:    idem.StoreConfig{Bucket: "bridge_idem", Replicas: 1, Horizon: 72 * time.Hour, CacheKeys: 1 << 20},
		Archive:        archive.Config{Enabled: true, Stream: "RAW", Prefix: "raw", MaxAge: 7 * 24 * time.Hour, MaxBytes: 1 << 30, Window: 4096, WindowBytes: 64 << 20},
		MaxInFlight:    1024,
		IngestConsumer: "bridge", IngestBatch: 64, IngestWorkers: 8, IngestMaxDeliver: 10, IngestAckWait: 30 * time.Second, EventsAuth: "none",
		BodyLimit:        1 << 20,
		MaxInflightBytes: 64 << 20,
		RequestTimeout:   10 * time.Second,
		RateBurst:        50,
		Grace:            30 * time.Second,
		LogFormat:        "json",
		LogLevel:         slog.LevelInfo,
		// Tracing is off: no endpoint, nothing exported.
		Tracing: tracing.Config{Endpoint: "", Insecure: false, SampleRatio: 1},
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
		{"replicas zero", func(c *Config) { c.Streams.Replicas = 0 }, "--replicas: must be between 1 and 5, got 0"},
		{"replicas seven", func(c *Config) { c.Streams.Replicas = 7; c.NATSURLs = []string{"nats://a:4222"} },
			"--replicas: must be between 1 and 5, got 7"},
		{"replicas three on a cluster", func(c *Config) { c.Streams.Replicas = 3; c.NATSURLs = []string{"nats://a:4222"} }, ""},
		{"replicas three embedded", func(c *Config) { c.Streams.Replicas = 3 },
			"--replicas: must be 1 with the embedded server (no --nats-url), got 3"},
		{"log format unknown", func(c *Config) { c.LogFormat = "xml" }, `--log-format: must be json or text, got "xml"`},
		{"log level unknown", func(c *Config) { c.LogLevel = slog.LevelInfo + 2 },
			"--log-level: must be debug, info, warn or error, got INFO+2"},
		{"zero body limit", func(c *Config) { c.BodyLimit = 0 }, "--body-limit: must be greater than 0, got 0"},
		{"in-flight bytes below the body limit", func(c *Config) { c.MaxInflightBytes = 512 << 10 },
			"--max-inflight-bytes: must be at least --body-limit (1MiB), got 512KiB"},
		{"zero request timeout", func(c *Config) { c.RequestTimeout = 0 }, "--request-timeout: must be greater than 0, got 0"},
		{"negative request timeout", func(c *Config) { c.RequestTimeout = -time.Second },
			"--request-timeout: must be greater than 0, got -1s"},
		{"zero grace", func(c *Config) { c.Grace = 0 }, "--grace: must be greater than 0, got 0"},
		{"zero duplicate window", func(c *Config) { c.Streams.DuplicateWindow = 0 }, "--duplicate-window: must be greater than 0, got 0"},
		{"duplicate window beyond max age", func(c *Config) { c.Streams.MaxAge = time.Minute },
			"--duplicate-window: must not exceed --stream-max-age (1m), got 2m"},
		{"negative max age", func(c *Config) { c.Streams.MaxAge = -time.Hour }, "--stream-max-age: must be 0 (for ever) or more, got -1h"},
		{"zero max bytes", func(c *Config) { c.Streams.MaxBytes = 0 }, "--stream-max-bytes: must be -1 (no cap) or greater than 0, got 0"},
		{"max bytes below minus one", func(c *Config) { c.Streams.MaxBytes = -5 },
			"--stream-max-bytes: must be -1 (no cap) or greater than 0, got -5"},
		{"bad http address", func(c *Config) { c.HTTP = "8080" }, `--http: want host:port, got "8080"`},
		{"empty mappings", func(c *Config) { c.Mappings = "" }, "--mappings: must not be empty"},
		{"jwt issuer without jwt", func(c *Config) { c.EventsJWTIssuer = "idp" }, "--events-jwt-issuer: applies to --events-auth jwt only, got --events-auth none"},
		{"jwt lifetime without jwt", func(c *Config) { c.EventsAuth, c.EventsSecret, c.EventsJWTMaxLifetime = "token", "k", time.Minute },
			"--events-jwt-max-lifetime: applies to --events-auth jwt only, got --events-auth token"},
		{"negative jwt lifetime", func(c *Config) { c.EventsAuth, c.EventsSecret, c.EventsJWTMaxLifetime = "jwt", "k", -time.Minute },
			"--events-jwt-max-lifetime: must be 0 (no limit) or more, got -1m"},
		{"nats urls of every form", func(c *Config) {
			c.NATSURLs = []string{"nats://a:4222", "tls://b", "ws://c:80", "wss://d", "e:4222", "127.0.0.1:4222"}
		}, ""},
		{"nats url scheme", func(c *Config) { c.NATSURLs = []string{"http://a:4222"} },
			`--nats-url: "http://a:4222": scheme must be nats, tls, ws or wss`},
		{"nats url garbage", func(c *Config) { c.NATSURLs = []string{"nats"} },
			`--nats-url: "nats": want nats://host:port or host:port`},
		{"otlp endpoint https", func(c *Config) { c.Tracing.Endpoint = "https://otel.example.com:4318" }, ""},
		{"otlp endpoint http allowed", func(c *Config) { c.Tracing.Endpoint, c.Tracing.Insecure = "http://otel-collector:4318", true }, ""},
		{"otlp endpoint http not allowed", func(c *Config) { c.Tracing.Endpoint = "http://otel-collector:4318" },
			`--otlp-endpoint: "http://otel-collector:4318" is plain HTTP: use https://, or allow it with --otlp-insecure`},
		{"otlp insecure with https", func(c *Config) { c.Tracing.Endpoint, c.Tracing.Insecure = "https://otel:4318", true },
			`--otlp-insecure: asks for plain HTTP, but --otlp-endpoint "https://otel:4318" is https://`},
		{"otlp insecure without endpoint is unused", func(c *Config) { c.Tracing.Insecure = true }, ""},
		{"otlp endpoint without scheme", func(c *Config) { c.Tracing.Endpoint = "otel-collector:4318" },
			`--otlp-endpoint: want an http:// or https:// URL such as http://otel-collector:4318, got "otel-collector:4318"`},
		{"otlp endpoint grpc", func(c *Config) { c.Tracing.Endpoint = "grpc://otel:4317" },
			`--otlp-endpoint: want an http:// or https:// URL such as http://otel-collector:4318, got "grpc://otel:4317"`},
		{"otlp endpoint without host", func(c *Config) { c.Tracing.Endpoint = "https:///v1/traces" },
			`--otlp-endpoint: "https:///v1/traces" has no host`},
		{"otlp endpoint with query", func(c *Config) { c.Tracing.Endpoint = "https://otel/v1/traces?key=x" },
			`--otlp-endpoint: "https://otel/v1/traces?key=x": no user, query or fragment allowed (headers go in OTEL_EXPORTER_OTLP_HEADERS)`},
		{"sample ratio zero", func(c *Config) { c.Tracing.SampleRatio = 0 }, ""},
		{"sample ratio a quarter", func(c *Config) { c.Tracing.SampleRatio = 0.25 }, ""},
		{"sample ratio above one", func(c *Config) { c.Tracing.SampleRatio = 1.5 }, "--trace-sample-ratio: must be between 0 and 1, got 1.5"},
		{"sample ratio negative", func(c *Config) { c.Tracing.SampleRatio = -0.1 }, "--trace-sample-ratio: must be between 0 and 1, got -0.1"},
		{"every problem, sorted", func(c *Config) {
			c.Streams.Replicas, c.LogFormat, c.BodyLimit, c.Grace, c.Admin = 9, "yaml", 0, 0, ""
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

// TestLoadTracing reads the tracing settings from each source, and names
// the source of a bad value.
func TestLoadTracing(t *testing.T) {
	file := writeConfig(t, "tracing:\n  otlp_endpoint: http://otel-collector:4318\n  otlp_insecure: true\n  sample_ratio: 0.5\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
		err  string
	}{
		{name: "defaults: off", want: func(*Config) {}},
		{name: "flags", args: []string{"--otlp-endpoint", "https://otel.example.com", "--trace-sample-ratio", "0.1"},
			want: func(c *Config) { c.Tracing.Endpoint, c.Tracing.SampleRatio = "https://otel.example.com", 0.1 }},
		{name: "bare --otlp-insecure", args: []string{"--otlp-endpoint=http://localhost:4318", "--otlp-insecure"},
			want: func(c *Config) { c.Tracing.Endpoint, c.Tracing.Insecure = "http://localhost:4318", true }},
		{name: "environment", env: map[string]string{"BRIDGE_OTLP_ENDPOINT": "http://otel:4318", "BRIDGE_OTLP_INSECURE": "1", "BRIDGE_TRACE_SAMPLE_RATIO": "0"},
			want: func(c *Config) {
				c.Tracing.Endpoint, c.Tracing.Insecure, c.Tracing.SampleRatio = "http://otel:4318", true, 0
			}},
		{name: "file", args: []string{"--config", file},
			want: func(c *Config) {
				c.File, c.Tracing.Endpoint, c.Tracing.Insecure, c.Tracing.SampleRatio = file, "http://otel-collector:4318", true, 0.5
			}},
		{name: "ratio not a number", env: map[string]string{"BRIDGE_TRACE_SAMPLE_RATIO": "half"},
			err: `env BRIDGE_TRACE_SAMPLE_RATIO: invalid ratio "half" (want a number from 0 to 1 such as 0.25)`},
		{name: "ratio out of range", args: []string{"--trace-sample-ratio", "2"},
			err: "--trace-sample-ratio: must be between 0 and 1, got 2"},
		{name: "plain HTTP not allowed", args: []string{"--otlp-endpoint", "http://otel:4318"},
			err: `--otlp-endpoint: "http://otel:4318" is plain HTTP: use https://, or allow it with --otlp-insecure`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := load(t, tc.args, tc.env)
			if tc.err != "" {
				if errText(err) != tc.err {
					t.Fatalf("Load error =\n%s\nwant\n%s", errText(err), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load() = %+v\nwant %+v", got, want)
			}
		})
	}
}
