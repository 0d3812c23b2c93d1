package subscriber

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Defaults of Config.
const (
	DefaultStream      = "EVENTS"
	DefaultConcurrency = 16
	DefaultMaxDeliver  = 5
	DefaultDoneTTL     = 72 * time.Hour
	DefaultDrain       = 30 * time.Second
)

// Config says what a subscriber reads and how. Zero fields take their
// default; Run returns every invalid field at once.
type Config struct {
	// Name is the durable consumer's name; it also names the subscriber's
	// idempotency bucket (Bucket) and dead-letter stream (DeadLetterStream).
	// Letters, digits, '-' and '_'; required. One process at a time runs a
	// Name (see docs/subscribers.md).
	Name string
	// Subjects are the consumer's filters, e.g. "event.pagarme.>"; none:
	// every event of the stream.
	Subjects []string
	// Stream is the events stream; default "EVENTS".
	Stream string
	// Concurrency is how many entities are handled in parallel; default 16.
	Concurrency int
	// MaxDeliver is how many times the handler is tried with one event
	// before the event goes to the subscriber's dead letters with reason
	// max_deliveries; default 5.
	MaxDeliver int
	// Schemas is an optional directory of JSON Schemas, laid out as the
	// bridge's (<host>/<path> of each dataschema URI); when set, an event
	// whose dataschema names a file there is validated against it.
	Schemas string
	// DoneTTL is how long handled idempotency keys are remembered; default
	// 72h. A duplicate arriving later than that reaches the handler again.
	DoneTTL time.Duration

	// Store, when set, records handled keys instead of the KV bucket: a
	// handler that writes to its own database can record the key in the
	// same transaction and make the crash window disappear (see Store).
	Store Store
	// Replicas of the bucket and dead-letter stream the subscriber creates;
	// default 1.
	Replicas int
	// Drain is how long running handlers may go on once the context given
	// to Run ends, before their context is cancelled; default 30s.
	Drain time.Duration
	// Metrics are called as events are handled; nil hooks are skipped.
	Metrics Metrics
	// Logger gets one line per dead letter and per failing dependency;
	// default slog.Default().
	Logger *slog.Logger
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.DoneTTL == 0 {
		c.DoneTTL = DefaultDoneTTL
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// validate returns every invalid field of c (after withDefaults), joined.
func (c Config) validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...)))
	}
	if !nameRE.MatchString(c.Name) {
		bad("Name", "%q must be 1 to 64 letters, digits, '-' or '_'", c.Name)
	}
	if !nameRE.MatchString(c.Stream) {
		bad("Stream", "%q is not a stream name", c.Stream)
	}
	for i, s := range c.Subjects {
		if s == "" {
			bad(fmt.Sprintf("Subjects[%d]", i), "is empty")
		}
	}
	if c.Concurrency < 1 {
		bad("Concurrency", "must be at least 1, got %d", c.Concurrency)
	}
	if c.MaxDeliver < 1 {
		bad("MaxDeliver", "must be at least 1, got %d", c.MaxDeliver)
	}
	if c.DoneTTL < time.Second {
		bad("DoneTTL", "must be at least 1s, got %s", c.DoneTTL)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		bad("Replicas", "must be 1 to 5, got %d", c.Replicas)
	}
	if c.Drain < 0 {
		bad("Drain", "must not be negative, got %s", c.Drain)
	}
	return errors.Join(errs...)
}

// ErrInvalidConfig is wrapped by each error Run returns for a Config field
// out of range.
var ErrInvalidConfig = errors.New("subscriber: invalid config")

// Bucket is the KV bucket of the subscriber called name: the idempotency
// keys its handler handled, and the stream sequences it dead-lettered.
func Bucket(name string) string { return "subscriber_" + name }

// DeadLetterStream is the stream of the subscriber called name's dead
// letters; its subjects are DeadLetterSubject(name, reason).
func DeadLetterStream(name string) string { return "SUBSCRIBER_" + name + "_DLQ" }

// DeadLetterSubject is the subject of a dead letter of the subscriber
// called name: subscriber.<name>.dlq.<reason>.
func DeadLetterSubject(name, reason string) string {
	return "subscriber." + name + ".dlq." + reason
}
