package ingest

import (
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/tracing"
)

// Defaults of NATSConfig.
const (
	DefaultIngestStream  = "INGEST"
	DefaultIngestSubject = "ingest.>"
	DefaultConsumer      = "bridge"
	DefaultReplyPrefix   = "bridge.ingest"
)

// NATSConfig configures the NATS ingestor.
type NATSConfig struct {
	Stream      string        // the ingest stream, default DefaultIngestStream
	Subjects    []string      // default ingest.>; the provider is the second token
	Consumer    string        // durable pull consumer shared by every replica, default "bridge"
	Batch       int           // messages fetched at once, default 64
	Workers     int           // deliveries stored at once, default 8
	MaxDeliver  int           // attempts before a payload JetStream cannot store is dead-lettered, default 10
	AckWait     time.Duration // redelivery of an unacknowledged message, default 30s
	Timeout     time.Duration // one attempt's deadline, publish retries included, default 10s; below AckWait
	MaxAge      time.Duration // how long the ingest stream keeps a message nobody took, default 7 days
	ReplyPrefix string        // core request/reply: <ReplyPrefix>.<provider>, default bridge.ingest
	QueueGroup  string        // request/reply queue group, default "bridge"
	Logger      *slog.Logger
	Metrics     *metrics.Metrics // nil: none
	Tracer      *tracing.Tracer  // nil: tracing off (a message's traceparent header is passed on unchanged)
}

func (c *NATSConfig) defaults() {
	if c.Stream == "" {
		c.Stream = DefaultIngestStream
	}
	if len(c.Subjects) == 0 {
		c.Subjects = []string{DefaultIngestSubject}
	}
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 10
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.ReplyPrefix == "" {
		c.ReplyPrefix = DefaultReplyPrefix
	}
	if c.QueueGroup == "" {
		c.QueueGroup = DefaultConsumer
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// StreamConfig is the ingest stream: a work queue (a message leaves it once
// a bridge acknowledges it), file storage.
func (c NATSConfig) StreamConfig(replicas int) jetstream.StreamConfig {
	c.defaults()
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
