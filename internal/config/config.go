package config

import (
	"io"
	"log/slog"
	"time"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natsembed"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/tracing"
)

// Log formats accepted by LogFormat.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// Defaults of the settings no component owns; Default returns them, with
// each component's own (publish.DefaultConfig, idem.DefaultStoreConfig,
// tracing.DefaultConfig, natsembed.DefaultConfig, pipeline.DefaultMaxInFlight,
// ingest's Default...), as a Config.
const (
	defaultHTTP             = ":8080"
	defaultAdmin            = "127.0.0.1:9090"
	defaultMappings         = "./mappings"
	defaultSchemas          = "./schemas"
	defaultIngestConsumer   = ingest.DefaultConsumer
	defaultIngestBatch      = ingest.DefaultBatch
	defaultIngestWorkers    = ingest.DefaultWorkers
	defaultIngestMaxDeliver = ingest.DefaultMaxDeliver
	defaultIngestAckWait    = ingest.DefaultAckWait
	defaultEventsAuth       = "none"
	defaultBodyLimit        = 1 << 20
	defaultMaxInflightBytes = 64 << 20
	defaultRequestTimeout   = ingest.DefaultNATSTimeout // one delivery's deadline, on every door
	defaultRateLimit        = 0                         // off
	defaultRateBurst        = 50
	defaultGrace            = 30 * time.Second
	defaultLogFormat        = FormatJSON
	defaultLogLevel         = slog.LevelInfo
)

// The environment variables holding secrets. A secret has no flag (a
// flag is visible in the process list) and no config-file key.
const (
	// EnvEventsSecret holds the events endpoint's token or JWT key.
	EnvEventsSecret = "BRIDGE_EVENTS_SECRET"
	// EnvNATSPassword holds the password of --nats-user.
	EnvNATSPassword = "BRIDGE_NATS_PASSWORD"
	// EnvNATSToken holds the token the bridge authenticates to NATS with.
	EnvNATSToken = "BRIDGE_NATS_TOKEN"
	// EnvAdminToken holds the bearer token of the admin listener.
	EnvAdminToken = "BRIDGE_ADMIN_TOKEN"
)

// Secret is a value that must never be printed: it formats as [redacted].
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret.
func (Secret) GoString() string { return "[redacted]" }

// LogValue redacts the secret in slog output, whatever the handler.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON redacts the secret in JSON.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Config is every setting of `bridge run`, parsed and typed.
type Config struct {
	// File is the config file that was read (--config); empty if none.
	File string

	// HTTP is the public listener's address (default ":8080").
	HTTP string
	// Admin is the admin listener's address: health, metrics, API
	// (default "127.0.0.1:9090", loopback only). It serves plain HTTP.
	Admin string

	// AdminHosts are the Host names the admin listener answers besides
	// localhost and IP addresses, which it always answers; any other Host
	// gets 421 (default none).
	AdminHosts []string
	// AdminToken, from EnvAdminToken only, is the bearer token every
	// admin route but /healthz and /readyz requires (default none: no
	// token asked for).
	AdminToken Secret

	// TLSCert and TLSKey are the PEM certificate (chain) and private key
	// files of the public listener; both or neither (default none: plain
	// HTTP). The pair is read again when either file changes.
	TLSCert, TLSKey string
	// TLSClientCA is a PEM file of the CAs whose client certificates the
	// public listener requires (mutual TLS); default none: no client
	// certificate asked for. Needs TLSCert.
	TLSClientCA string
	// Mappings is the mapping files directory (default "./mappings").
	Mappings string
	// Schemas is the JSON schema directory (default "./schemas").
	Schemas string

	// NATSURLs are the NATS servers to connect to (default none: start the
	// embedded server instead).
	NATSURLs []string
	// EmbeddedNATS is the server the bridge starts when NATSURLs is empty
	// (natsembed.DefaultConfig). The settings are Listen, its client
	// address (default "127.0.0.1:4222"); StoreDir, its JetStream store
	// (default "./data"); Sync, how it writes to disk: SyncAlways (0, the
	// default) syncs every write before acknowledging it; a positive
	// interval flushes in the background that often, and a crash of the
	// machine may lose what was acknowledged since. MaxPayload and Logger
	// are the daemon's to set.
	EmbeddedNATS natsembed.Config
	// NATSMonitorURL is the monitoring endpoint (http://host:8222) of the
	// server at NATSURLs; when set, the bridge reads its /varz at start and
	// warns when it does not sync every write (default none). Only with
	// NATSURLs.
	NATSMonitorURL string

	// How the bridge authenticates to the NATS servers of NATSURLs: at most
	// one of a JWT credentials file (NATSCreds), an nkey seed file
	// (NATSNkey), a user with its password (NATSUser, NATSPassword) or a
	// token (NATSToken). Default none. Only with NATSURLs.
	NATSCreds, NATSNkey, NATSUser string
	// NATSPassword is NATSUser's password, from EnvNATSPassword only.
	NATSPassword Secret
	// NATSToken is the NATS token, from EnvNATSToken only.
	NATSToken Secret
	// NATSTLSCA is a PEM file of the CAs that sign the NATS servers'
	// certificates (default none: the system's roots). NATSTLSCert and
	// NATSTLSKey are the bridge's client certificate and key for servers
	// that verify clients; both or neither. Only with NATSURLs.
	NATSTLSCA, NATSTLSCert, NATSTLSKey string

	// Streams are the events and dead-letter streams and the publisher's
	// retries (publish.DefaultConfig). The settings are Replicas, 1 to 5, of
	// every stream and bucket the bridge creates (--replicas);
	// ManageStreams; DuplicateWindow; MaxBytes and MaxAge, of the events
	// stream. NoBatch is the daemon's to set, from the server's sync policy.
	Streams publish.Config

	// Idempotency is the idempotency store beyond the duplicate window
	// (idem.DefaultStoreConfig). The settings are Horizon, how long a
	// delivery is remembered (default 72h), and CacheKeys, how many keys its
	// local negative cache (a Bloom filter fed by a watch of the bucket) is
	// sized for before it grows, 0 for no cache (default 1048576). Replicas
	// and NoBatch are the daemon's to set: the bucket has the streams'
	// replicas, and batches as the server's sync policy allows.
	Idempotency idem.StoreConfig

	// Archive is the raw archive, the stream RAW (archive.DefaultConfig).
	// The settings are Enabled (--archive, default true), MaxAge (default
	// 7 days, 0 for ever) and MaxBytes (default -1, no cap); its replicas
	// are the streams'.
	Archive archive.Config

	// MaxInFlight bounds the publishes awaiting their acknowledgement
	// (default pipeline.DefaultMaxInFlight, 1024).
	MaxInFlight int

	// IngestConsumer is the INGEST stream's durable consumer, shared by
	// every replica (default "bridge").
	IngestConsumer string
	// IngestBatch is how many INGEST messages are fetched at once (default 64).
	IngestBatch int
	// IngestWorkers is how many INGEST messages are stored at once (default 8).
	IngestWorkers int
	// IngestMaxDeliver is how many attempts an INGEST message gets before it
	// is dead-lettered as max_deliveries (default 10).
	IngestMaxDeliver int

	// IngestAckWait is how long an INGEST message handed to a bridge that
	// then stopped waits before it is handed to another; greater than
	// RequestTimeout (default 30s).
	IngestAckWait time.Duration

	// EventsAuth is how the events-protocol endpoint authenticates callers:
	// none, token (auth.token equals the secret) or jwt (auth.token is an
	// HS256 JWT signed with the secret). Default none.
	EventsAuth string
	// EventsAuthSource says where EventsAuth was read from: "flag
	// --events-auth", "env BRIDGE_EVENTS_AUTH" or "bridge.yaml:3:3
	// events.auth" (the last that applied); empty when it is the default.
	// bridge run refuses an open events endpoint (none) that is only the
	// default while a mapping file accepts the events protocol.
	EventsAuthSource string
	// EventsJWTIssuer, EventsJWTAudience and EventsJWTMaxLifetime, with
	// EventsAuth jwt only: the iss the token must carry, a value its aud
	// must hold, and the longest exp - iat accepted (iat then required).
	// Default none, none and 0: not checked.
	EventsJWTIssuer, EventsJWTAudience string
	EventsJWTMaxLifetime               time.Duration
	// EventsSecret is the events endpoint's token or JWT key, read from the
	// environment variable EnvEventsSecret only.
	EventsSecret Secret

	// BodyLimit caps a webhook request body in bytes (default 1 MiB).
	BodyLimit int64
	// MaxInflightBytes bounds the memory of the request bodies being read
	// and handled at once, across the public listener; a body that does
	// not fit is answered 503 with Retry-After. At least BodyLimit
	// (default 64 MiB).
	MaxInflightBytes int64
	// RequestTimeout bounds the handling of one delivery, publish retries
	// included (default 10s).
	RequestTimeout time.Duration
	// RateLimit is how many webhook deliveries per second each provider may
	// make, on average; 0 turns the limit off (default 0).
	RateLimit float64
	// RateBurst is the most deliveries a provider may make at once after a
	// quiet spell (the size of its token bucket), at least 1 (default 50).
	// Used only when RateLimit > 0.
	RateBurst int

	// Grace is how long a SIGTERM drain may take (default 30s).
	Grace time.Duration

	// LogFormat is FormatJSON or FormatText (default "json").
	LogFormat string
	// LogLevel is the lowest level logged: debug, info, warn or error
	// (default info).
	LogLevel slog.Level

	// Tracing is span export (tracing.DefaultConfig): Endpoint, the URL of
	// an OpenTelemetry collector's OTLP/HTTP receiver (default none: tracing
	// off, nothing exported); Insecure, plain HTTP to it allowed (default
	// false); SampleRatio, the share of new traces sampled, 0 to 1, where a
	// delivery with a trace context follows its sampled flag (default 1).
	// Version and Logger are the daemon's to set.
	Tracing tracing.Config
}

// Default returns the settings of `bridge run` with no flags, environment
// or config file.
func Default() Config {
	return Config{
		HTTP:             defaultHTTP,
		Admin:            defaultAdmin,
		Mappings:         defaultMappings,
		Schemas:          defaultSchemas,
		EmbeddedNATS:     natsembed.DefaultConfig(),
		Streams:          publish.DefaultConfig(),
		Idempotency:      idem.DefaultStoreConfig(),
		Archive:          archive.DefaultConfig(),
		MaxInFlight:      pipeline.DefaultMaxInFlight,
		Tracing:          tracing.DefaultConfig(),
		IngestConsumer:   defaultIngestConsumer,
		IngestBatch:      defaultIngestBatch,
		IngestWorkers:    defaultIngestWorkers,
		IngestMaxDeliver: defaultIngestMaxDeliver,
		IngestAckWait:    defaultIngestAckWait,
		EventsAuth:       defaultEventsAuth,
		BodyLimit:        defaultBodyLimit,
		MaxInflightBytes: defaultMaxInflightBytes,
		RequestTimeout:   defaultRequestTimeout,
		RateLimit:        defaultRateLimit,
		RateBurst:        defaultRateBurst,
		Grace:            defaultGrace,
		LogFormat:        defaultLogFormat,
		LogLevel:         defaultLogLevel,
	}
}

// SyncAlways is the EmbeddedNATS.Sync that syncs every write before it is
// acknowledged.
const SyncAlways = natsembed.SyncAlways

// Embedded reports whether the bridge starts its own nats-server, which it
// does when no NATS URL is configured.
func (c Config) Embedded() bool { return len(c.NATSURLs) == 0 }

// Logger returns a logger writing to w in the configured format (JSON
// unless LogFormat is FormatText) at the configured level.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == FormatText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
