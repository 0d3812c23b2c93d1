package config

import (
	"io"
	"log/slog"
	"time"
)

// Log formats accepted by LogFormat.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// Defaults, in one place; Default returns them as a Config.
const (
	defaultHTTP             = ":8080"
	defaultAdmin            = "127.0.0.1:9090"
	defaultMappings         = "./mappings"
	defaultSchemas          = "./schemas"
	defaultNATSListen       = "127.0.0.1:4222"
	defaultDataDir          = "./data"
	defaultReplicas         = 1
	defaultSync             = SyncAlways
	defaultManageStreams    = true
	defaultDuplicateWindow  = 2 * time.Minute
	defaultMaxBytes         = -1 // unlimited
	defaultMaxAge           = 0  // keep forever
	defaultIdemHorizon      = 72 * time.Hour
	defaultIdemCacheKeys    = 1 << 20
	defaultMaxInFlight      = 1024
	defaultIngestConsumer   = "bridge"
	defaultIngestBatch      = 64
	defaultIngestWorkers    = 8
	defaultIngestMaxDeliver = 10
	defaultIngestAckWait    = 30 * time.Second
	defaultEventsAuth       = "none"
	defaultBodyLimit        = 1 << 20
	defaultMaxInflightBytes = 64 << 20
	defaultRequestTimeout   = 10 * time.Second
	defaultRateLimit        = 0 // off
	defaultRateBurst        = 50
	defaultGrace            = 30 * time.Second
	defaultLogFormat        = FormatJSON
	defaultLogLevel         = slog.LevelInfo
	defaultOTLPEndpoint     = "" // tracing off
	defaultOTLPInsecure     = false
	defaultTraceSampleRatio = 1.0
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
	// NATSListen is the embedded server's client address (default "127.0.0.1:4222").
	NATSListen string
	// DataDir is the embedded server's JetStream store (default "./data").
	DataDir string
	// Replicas is the replica count of every stream and bucket the bridge
	// creates, 1 to 5 (default 1).
	Replicas int
	// Sync is how the embedded server writes to disk: SyncAlways (0, the
	// default) syncs every write before acknowledging it; a positive
	// interval flushes in the background that often, and a crash of the
	// machine may lose what was acknowledged since.
	Sync time.Duration
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

	// ManageStreams creates or updates the streams at start (default true).
	ManageStreams bool
	// DuplicateWindow is the events stream's de-duplication window (default 2m).
	DuplicateWindow time.Duration
	// MaxBytes caps the events stream's size in bytes, -1 for no cap (default -1).
	MaxBytes int64
	// MaxAge is how long the events stream keeps an event, 0 for ever (default 0).
	MaxAge time.Duration

	// IdempotencyHorizon is how long the idempotency store remembers a
	// delivery, beyond the duplicate window (default 72h).
	IdempotencyHorizon time.Duration
	// IdempotencyCacheKeys is how many keys the idempotency store's local
	// negative cache (a Bloom filter fed by a watch of the bucket) is sized
	// for before it grows; 0 turns it off (default 1048576).
	IdempotencyCacheKeys int
	// MaxInFlight bounds the publishes awaiting their acknowledgement
	// (default 1024).
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

	// OTLPEndpoint is the URL of an OpenTelemetry collector's OTLP/HTTP
	// receiver that the bridge's spans are exported to (default none:
	// tracing off, nothing exported).
	OTLPEndpoint string
	// OTLPInsecure allows plain HTTP to the collector: an http://
	// OTLPEndpoint needs it (default false).
	OTLPInsecure bool
	// TraceSampleRatio is the share of new traces sampled, 0 to 1; a
	// delivery with a trace context follows its sampled flag (default 1).
	TraceSampleRatio float64
}

// Default returns the settings of `bridge run` with no flags, environment
// or config file.
func Default() Config {
	return Config{
		HTTP:                 defaultHTTP,
		Admin:                defaultAdmin,
		Mappings:             defaultMappings,
		Schemas:              defaultSchemas,
		NATSListen:           defaultNATSListen,
		DataDir:              defaultDataDir,
		Replicas:             defaultReplicas,
		Sync:                 defaultSync,
		ManageStreams:        defaultManageStreams,
		DuplicateWindow:      defaultDuplicateWindow,
		IdempotencyHorizon:   defaultIdemHorizon,
		IdempotencyCacheKeys: defaultIdemCacheKeys,
		MaxInFlight:          defaultMaxInFlight,
		IngestConsumer:       defaultIngestConsumer,
		IngestBatch:          defaultIngestBatch,
		IngestWorkers:        defaultIngestWorkers,
		IngestMaxDeliver:     defaultIngestMaxDeliver,
		IngestAckWait:        defaultIngestAckWait,
		EventsAuth:           defaultEventsAuth,
		MaxBytes:             defaultMaxBytes,
		MaxAge:               defaultMaxAge,
		BodyLimit:            defaultBodyLimit,
		MaxInflightBytes:     defaultMaxInflightBytes,
		RequestTimeout:       defaultRequestTimeout,
		RateLimit:            defaultRateLimit,
		RateBurst:            defaultRateBurst,
		Grace:                defaultGrace,
		LogFormat:            defaultLogFormat,
		LogLevel:             defaultLogLevel,
		OTLPEndpoint:         defaultOTLPEndpoint,
		OTLPInsecure:         defaultOTLPInsecure,
		TraceSampleRatio:     defaultTraceSampleRatio,
	}
}

// SyncAlways is the Sync value that syncs every write before it is
// acknowledged.
const SyncAlways time.Duration = 0

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
