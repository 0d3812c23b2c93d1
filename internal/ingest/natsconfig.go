package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/tracing"
)

// Defaults of NATSConfig (DefaultNATSConfig).
const (
	DefaultIngestStream  = "INGEST"
	DefaultIngestSubject = "ingest.>"
	DefaultConsumer      = "bridge"
	DefaultReplyPrefix   = "bridge.ingest"
	DefaultQueueGroup    = "bridge"
	DefaultBatch         = 64
	DefaultWorkers       = 8
	DefaultMaxDeliver    = 10
	DefaultAckWait       = 30 * time.Second
	DefaultNATSTimeout   = 10 * time.Second
	DefaultIngestMaxAge  = 7 * 24 * time.Hour
)

// NATSConfig configures the NATS ingestor. Start from DefaultNATSConfig:
// Validate refuses a zero value rather than filling it in.
type NATSConfig struct {
	Stream      string          // the ingest stream, default DefaultIngestStream
	Subjects    []string        // default ingest.>; the provider is the second token
	Consumer    string          // durable pull consumer shared by every replica, default "bridge"
	Batch       int             // messages fetched at once, default 64
	Workers     int             // deliveries stored at once, default 8
	MaxDeliver  int             // attempts before a payload JetStream cannot store is dead-lettered, default 10
	AckWait     time.Duration   // redelivery of an unacknowledged message, default 30s
	Timeout     time.Duration   // one attempt's deadline, publish retries included, default 10s; below AckWait
	MaxAge      time.Duration   // how long the ingest stream keeps a message nobody took, default 7 days
	ReplyPrefix string          // core request/reply: <ReplyPrefix>.<provider>, default bridge.ingest
	QueueGroup  string          // request/reply queue group, default "bridge"
	Logger      *slog.Logger    // nil discards
	Metrics     *metrics.Set    // nil: none
	Tracer      *tracing.Tracer // nil: tracing off (a message's traceparent header is passed on unchanged)
	Archive     Archiver        // nil: deliveries are not archived
}

// DefaultNATSConfig returns the configuration with every default set.
func DefaultNATSConfig() NATSConfig {
	return NATSConfig{
		Stream:      DefaultIngestStream,
		Subjects:    []string{DefaultIngestSubject},
		Consumer:    DefaultConsumer,
		Batch:       DefaultBatch,
		Workers:     DefaultWorkers,
		MaxDeliver:  DefaultMaxDeliver,
		AckWait:     DefaultAckWait,
		Timeout:     DefaultNATSTimeout,
		MaxAge:      DefaultIngestMaxAge,
		ReplyPrefix: DefaultReplyPrefix,
		QueueGroup:  DefaultQueueGroup,
	}
}

// Validate returns every problem of the configuration at once, each naming
// its field; it never changes the configuration.
func (c NATSConfig) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("nats ingest: %s: "+format, append([]any{field}, args...)...))
	}
	for field, v := range map[string]string{"Stream": c.Stream, "Consumer": c.Consumer} {
		if v == "" || strings.ContainsAny(v, ".*> \t") {
			add(field, "must be a non-empty name without '.', '*', '>' or spaces, got %q", v)
		}
	}
	if c.QueueGroup == "" || strings.ContainsAny(c.QueueGroup, " \t") {
		add("QueueGroup", "must be a non-empty name without spaces, got %q", c.QueueGroup)
	}
	if len(c.Subjects) == 0 {
		add("Subjects", "must list at least one subject")
	}
	for i, s := range c.Subjects {
		if s == "" || strings.ContainsAny(s, " \t") {
			add(fmt.Sprintf("Subjects[%d]", i), "must be a subject without spaces, got %q", s)
		}
	}
	if c.ReplyPrefix == "" || strings.ContainsAny(c.ReplyPrefix, "*> \t") || strings.HasSuffix(c.ReplyPrefix, ".") {
		add("ReplyPrefix", "must be a subject prefix without wildcards, spaces or a final '.', got %q", c.ReplyPrefix)
	}
	for field, v := range map[string]int{"Batch": c.Batch, "Workers": c.Workers, "MaxDeliver": c.MaxDeliver} {
		if v <= 0 {
			add(field, "must be > 0, got %d", v)
		}
	}
	for field, v := range map[string]time.Duration{"AckWait": c.AckWait, "Timeout": c.Timeout, "MaxAge": c.MaxAge} {
		if v <= 0 {
			add(field, "must be > 0, got %s", v)
		}
	}
	if c.Timeout > 0 && c.AckWait > 0 && c.Timeout >= c.AckWait {
		add("Timeout", "%s must be below the ack wait %s", c.Timeout, c.AckWait)
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// StreamConfig is the ingest stream: a work queue (a message leaves it once
// a bridge acknowledges it), file storage.
func (c NATSConfig) StreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "bridge ingest: raw provider payloads at ingest.<provider>[.<anything>]",
		Subjects:    c.Subjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.WorkQueuePolicy,
		Replicas:    replicas,
		MaxAge:      c.MaxAge,
		Duplicates:  2 * time.Minute,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardNew,
		AllowDirect: true,
	}
}
