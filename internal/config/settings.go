package config

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// Setting describes one setting of `bridge run`, for docs and help.
type Setting struct {
	Flag    string // flag name without dashes, e.g. "nats-url"
	Env     string // environment variable, e.g. "BRIDGE_NATS_URL"
	Key     string // dotted config-file key, e.g. "nats.url"; empty for --config
	Default string // default as it would be typed; empty when there is none
	Usage   string // what the setting does, one line
	Arg     string // the value's placeholder in help, e.g. "ADDR"
}

// The --config setting names the file, so it has no key and is read
// before any other source.
const (
	configFlag  = "config"
	configArg   = "FILE"
	configUsage = "YAML config file to read"
)

// Settings returns every setting of `bridge run`, --config first, then in
// the order of the table.
func Settings() []Setting {
	def := Default()
	out := []Setting{{Flag: configFlag, Env: envName(configFlag), Usage: configUsage, Arg: configArg}}
	for _, r := range table() {
		out = append(out, Setting{
			Flag:    r.flag,
			Env:     envName(r.flag),
			Key:     r.key,
			Default: r.format(def),
			Usage:   r.usage,
			Arg:     r.arg,
		})
	}
	return out
}

// envName is the environment variable of a flag: BRIDGE_ and the flag in
// upper snake case.
func envName(flag string) string {
	return "BRIDGE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setting is one row of the table: how a value reaches its Config field
// and how the field is written back.
type setting struct {
	flag, key, arg, usage string
	list                  bool // the config file may give a YAML list
	boolean               bool // a bare --flag means true
	parse                 func(c *Config, s string) error
	format                func(c Config) string
}

// table is the one list of settings; a new setting is one more row here,
// a field in Config and, if it has one, a default in Default.
func table() []setting {
	return []setting{
		row("http", "http", "ADDR", "public listener address",
			func(c *Config) *string { return &c.HTTP }, parseText, formatText),
		row("admin", "admin", "ADDR", "admin listener address (health, metrics, API); plain HTTP, keep it private",
			func(c *Config) *string { return &c.Admin }, parseText, formatText),
		list(row("admin-hosts", "admin_hosts", "HOST[,HOST...]", "Host names the admin listener answers besides localhost and IP addresses (others get 421)",
			func(c *Config) *[]string { return &c.AdminHosts }, parseHosts, formatURLs)),
		row("tls-cert", "tls.cert", "FILE", "public listener's TLS certificate (PEM, chain first); with --tls-key, reread when changed",
			func(c *Config) *string { return &c.TLSCert }, parseOptional, formatText),
		row("tls-key", "tls.key", "FILE", "public listener's TLS private key (PEM)",
			func(c *Config) *string { return &c.TLSKey }, parseOptional, formatText),
		row("tls-client-ca", "tls.client_ca", "FILE", "CA certificates (PEM) that must sign a client certificate: mutual TLS",
			func(c *Config) *string { return &c.TLSClientCA }, parseOptional, formatText),
		row("mappings", "mappings", "DIR", "mapping files directory",
			func(c *Config) *string { return &c.Mappings }, parseText, formatText),
		row("schemas", "schemas", "DIR", "JSON schema directory",
			func(c *Config) *string { return &c.Schemas }, parseText, formatText),
		list(row("nats-url", "nats.url", "URL[,URL...]", "NATS server URLs, comma-separated; none starts the embedded server",
			func(c *Config) *[]string { return &c.NATSURLs }, parseURLs, formatURLs)),
		row("nats-listen", "nats.listen", "ADDR", "embedded server's client address",
			func(c *Config) *string { return &c.EmbeddedNATS.Listen }, parseText, formatText),
		row("data", "nats.data", "DIR", "embedded server's JetStream store directory",
			func(c *Config) *string { return &c.EmbeddedNATS.StoreDir }, parseText, formatText),
		row("sync", "nats.sync", "always|DURATION", "embedded server: sync every write to disk before acknowledging it (always), or flush every DURATION and risk acknowledged writes on a crash",
			func(c *Config) *time.Duration { return &c.EmbeddedNATS.Sync }, parseSync, formatSync),
		row("replicas", "nats.replicas", "N", "replicas of every stream and bucket the bridge creates, 1 to 5",
			func(c *Config) *int { return &c.Streams.Replicas }, parseInt, itoa),
		row("nats-monitor-url", "nats.monitor_url", "URL", "monitoring URL (http://host:8222) of the configured NATS server, read at start to warn when it does not sync every write",
			func(c *Config) *string { return &c.NATSMonitorURL }, parseOptional, formatText),
		row("nats-creds", "nats.creds", "FILE", "NATS user JWT credentials file",
			func(c *Config) *string { return &c.NATSCreds }, parseOptional, formatText),
		row("nats-nkey", "nats.nkey", "FILE", "NATS nkey seed file",
			func(c *Config) *string { return &c.NATSNkey }, parseOptional, formatText),
		row("nats-user", "nats.user", "NAME", "NATS user (password in BRIDGE_NATS_PASSWORD)",
			func(c *Config) *string { return &c.NATSUser }, parseOptional, formatText),
		row("nats-tls-ca", "nats.tls_ca", "FILE", "CA certificates (PEM) that sign the NATS servers' certificates",
			func(c *Config) *string { return &c.NATSTLSCA }, parseOptional, formatText),
		row("nats-tls-cert", "nats.tls_cert", "FILE", "client certificate (PEM) for NATS servers that verify clients; with --nats-tls-key",
			func(c *Config) *string { return &c.NATSTLSCert }, parseOptional, formatText),
		row("nats-tls-key", "nats.tls_key", "FILE", "private key (PEM) of --nats-tls-cert",
			func(c *Config) *string { return &c.NATSTLSKey }, parseOptional, formatText),
		row("manage-streams", "stream.manage", "BOOL", "create or update the streams at start",
			func(c *Config) *bool { return &c.Streams.ManageStreams }, parseBool, formatBool),
		row("duplicate-window", "stream.duplicate_window", "DURATION", "events stream's de-duplication window",
			func(c *Config) *time.Duration { return &c.Streams.DuplicateWindow }, parseDuration, formatDuration),
		row("stream-max-bytes", "stream.max_bytes", "SIZE", "events stream's size cap, -1 for none",
			func(c *Config) *int64 { return &c.Streams.MaxBytes }, parseMaxBytes, formatSize),
		row("stream-max-age", "stream.max_age", "DURATION", "how long the events stream keeps an event, 0 for ever",
			func(c *Config) *time.Duration { return &c.Streams.MaxAge }, parseDuration, formatDuration),
		row("archive", "archive.enabled", "BOOL", "keep every authenticated delivery as received in the RAW stream, for bridge remap",
			func(c *Config) *bool { return &c.Archive.Enabled }, parseBool, formatBool),
		row("archive-max-age", "archive.max_age", "DURATION", "how long the RAW stream keeps a delivery, 0 for ever",
			func(c *Config) *time.Duration { return &c.Archive.MaxAge }, parseDuration, formatDuration),
		row("archive-max-bytes", "archive.max_bytes", "SIZE", "RAW stream's size cap, -1 for none; when full it forgets its oldest deliveries",
			func(c *Config) *int64 { return &c.Archive.MaxBytes }, parseMaxBytes, formatSize),
		row("idempotency-horizon", "idempotency.horizon", "DURATION", "how long a delivery is remembered as already stored, beyond the duplicate window",
			func(c *Config) *time.Duration { return &c.Idempotency.Horizon }, parseDuration, formatDuration),
		row("idempotency-cache-keys", "idempotency.cache_keys", "N", "keys the local cache of the idempotency bucket is sized for (a new delivery then skips its lookup), 0 for no cache",
			func(c *Config) *int { return &c.Idempotency.CacheKeys }, parseInt, itoa),
		row("max-in-flight", "publish.max_in_flight", "N", "publishes awaiting their acknowledgement at once",
			func(c *Config) *int { return &c.MaxInFlight }, parseInt, itoa),
		row("ingest-consumer", "ingest.consumer", "NAME", "durable consumer of the INGEST stream, shared by every replica",
			func(c *Config) *string { return &c.IngestConsumer }, parseText, formatText),
		row("ingest-batch", "ingest.batch", "N", "INGEST messages fetched at once",
			func(c *Config) *int { return &c.IngestBatch }, parseInt, itoa),
		row("ingest-workers", "ingest.workers", "N", "INGEST messages stored at once",
			func(c *Config) *int { return &c.IngestWorkers }, parseInt, itoa),
		row("ingest-max-deliver", "ingest.max_deliver", "N", "attempts to store an INGEST message before it is dead-lettered",
			func(c *Config) *int { return &c.IngestMaxDeliver }, parseInt, itoa),
		row("ingest-ack-wait", "ingest.ack_wait", "DURATION", "how long an INGEST message taken by a bridge that stopped waits before another takes it",
			func(c *Config) *time.Duration { return &c.IngestAckWait }, parseDuration, formatDuration),
		row("events-auth", "events.auth", "MODE", "events-protocol callers must send auth.token: none, token or jwt (secret in BRIDGE_EVENTS_SECRET)",
			func(c *Config) *string { return &c.EventsAuth }, parseText, formatText),
		row("events-jwt-issuer", "events.jwt_issuer", "ISS", "with --events-auth jwt: the iss claim the token must carry; none: not checked",
			func(c *Config) *string { return &c.EventsJWTIssuer }, parseOptional, formatText),
		row("events-jwt-audience", "events.jwt_audience", "AUD", "with --events-auth jwt: a value the token's aud claim must hold; none: not checked",
			func(c *Config) *string { return &c.EventsJWTAudience }, parseOptional, formatText),
		row("events-jwt-max-lifetime", "events.jwt_max_lifetime", "DURATION", "with --events-auth jwt: the longest exp - iat accepted (the token must carry iat); 0 for no limit",
			func(c *Config) *time.Duration { return &c.EventsJWTMaxLifetime }, parseDuration, formatDuration),
		row("body-limit", "webhook.body_limit", "SIZE", "largest webhook request body",
			func(c *Config) *int64 { return &c.BodyLimit }, parseSize, formatSize),
		row("max-inflight-bytes", "webhook.max_inflight_bytes", "SIZE", "most bytes of request bodies held in memory at once; beyond it 503 with Retry-After",
			func(c *Config) *int64 { return &c.MaxInflightBytes }, parseSize, formatSize),
		row("request-timeout", "webhook.timeout", "DURATION", "deadline for handling one delivery, publish retries included",
			func(c *Config) *time.Duration { return &c.RequestTimeout }, parseDuration, formatDuration),
		row("rate-limit", "webhook.rate_limit", "N", "webhook deliveries per second per provider, 0 for no limit",
			func(c *Config) *float64 { return &c.RateLimit }, parseRate, formatRate),
		row("rate-burst", "webhook.rate_burst", "N", "most webhook deliveries a provider may make at once under --rate-limit",
			func(c *Config) *int { return &c.RateBurst }, parseInt, itoa),
		row("grace", "shutdown.grace", "DURATION", "how long to drain in-flight work on SIGINT/SIGTERM",
			func(c *Config) *time.Duration { return &c.Grace }, parseDuration, formatDuration),
		row("log-format", "log.format", "FORMAT", "log format: json or text",
			func(c *Config) *string { return &c.LogFormat }, parseLogFormat, formatText),
		row("log-level", "log.level", "LEVEL", "lowest level logged: debug, info, warn or error",
			func(c *Config) *slog.Level { return &c.LogLevel }, parseLogLevel, formatLogLevel),
		row("otlp-endpoint", "tracing.otlp_endpoint", "URL", "OpenTelemetry collector's OTLP/HTTP URL to export spans to; none: tracing off",
			func(c *Config) *string { return &c.Tracing.Endpoint }, parseOptional, formatText),
		row("otlp-insecure", "tracing.otlp_insecure", "BOOL", "allow plain HTTP to the collector (an http:// --otlp-endpoint)",
			func(c *Config) *bool { return &c.Tracing.Insecure }, parseBool, formatBool),
		row("trace-sample-ratio", "tracing.sample_ratio", "RATIO", "share of new traces sampled, 0 to 1; a delivery's own trace context decides for it",
			func(c *Config) *float64 { return &c.Tracing.SampleRatio }, parseRatio, formatRate),
	}
}

// row builds a setting from its field and the parser and formatter of the
// field's type.
func row[T any](flag, key, arg, usage string, field func(*Config) *T, parse func(string) (T, error), format func(T) string) setting {
	_, boolean := any(*new(T)).(bool)
	return setting{
		flag: flag, key: key, arg: arg, usage: usage, boolean: boolean,
		parse: func(c *Config, s string) error {
			v, err := parse(s)
			if err != nil {
				return err
			}
			*field(c) = v
			return nil
		},
		format: func(c Config) string { return format(*field(&c)) },
	}
}

// list marks a setting whose file value may be a YAML list.
func list(s setting) setting {
	s.list = true
	return s
}

func itoa(n int) string        { return strconv.Itoa(n) }
func formatBool(b bool) string { return strconv.FormatBool(b) }

// parseRatio reads a share: a number such as 1, 0.25 or 0 (Validate
// checks that it is at most 1).
func parseRatio(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid ratio %q (want a number from 0 to 1 such as 0.25)", s)
	}
	return f, nil
}
