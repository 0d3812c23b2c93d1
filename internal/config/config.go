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
	defaultManageStreams    = true
	defaultDuplicateWindow  = 2 * time.Minute
	defaultMaxBytes         = -1 // unlimited
	defaultMaxAge           = 0  // keep forever
	defaultIdemHorizon      = 72 * time.Hour
	defaultMaxInFlight      = 1024
	defaultIngestConsumer   = "bridge"
	defaultIngestBatch      = 64
	defaultIngestWorkers    = 8
	defaultIngestMaxDeliver = 10
	defaultIngestAckWait    = 30 * time.Second
	defaultEventsAuth       = "none"
	defaultBodyLimit        = 1 << 20
	defaultRequestTimeout   = 10 * time.Second
	defaultGrace            = 30 * time.Second
	defaultLogFormat        = FormatJSON
	defaultLogLevel         = slog.LevelInfo
)

// EnvEventsSecret is the environment variable holding the events
// endpoint's token or JWT key.
const EnvEventsSecret = "BRIDGE_EVENTS_SECRET"

// Secret is a value that must never be printed: it formats as [redacted].
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret.
func (Secret) GoString() string { return "[redacted]" }

// Config is every setting of `bridge run`, parsed and typed.
type Config struct {
	// File is the config file that was read (--config); empty if none.
	File string

	// HTTP is the public listener's address (default ":8080").
	HTTP string
	// Admin is the admin listener's address: health, metrics, API
	// (default "127.0.0.1:9090", loopback only).
	Admin string
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
	// EventsSecret is the events endpoint's token or JWT key, read from the
	// environment variable EnvEventsSecret only.
	EventsSecret Secret

	// BodyLimit caps a webhook request body in bytes (default 1 MiB).
	BodyLimit int64
	// RequestTimeout bounds the handling of one delivery, publish retries
	// included (default 10s).
	RequestTimeout time.Duration

	// Grace is how long a SIGTERM drain may take (default 30s).
	Grace time.Duration

	// LogFormat is FormatJSON or FormatText (default "json").
	LogFormat string
	// LogLevel is the lowest level logged: debug, info, warn or error
	// (default info).
	LogLevel slog.Level
}

// Default returns the settings of `bridge run` with no flags, environment
// or config file.
func Default() Config {
	return Config{
		HTTP:               defaultHTTP,
		Admin:              defaultAdmin,
		Mappings:           defaultMappings,
		Schemas:            defaultSchemas,
		NATSListen:         defaultNATSListen,
		DataDir:            defaultDataDir,
		Replicas:           defaultReplicas,
		ManageStreams:      defaultManageStreams,
		DuplicateWindow:    defaultDuplicateWindow,
		IdempotencyHorizon: defaultIdemHorizon,
		MaxInFlight:        defaultMaxInFlight,
		IngestConsumer:     defaultIngestConsumer,
		IngestBatch:        defaultIngestBatch,
		IngestWorkers:      defaultIngestWorkers,
		IngestMaxDeliver:   defaultIngestMaxDeliver,
		IngestAckWait:      defaultIngestAckWait,
		EventsAuth:         defaultEventsAuth,
		MaxBytes:           defaultMaxBytes,
		MaxAge:             defaultMaxAge,
		BodyLimit:          defaultBodyLimit,
		RequestTimeout:     defaultRequestTimeout,
		Grace:              defaultGrace,
		LogFormat:          defaultLogFormat,
		LogLevel:           defaultLogLevel,
	}
}

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
