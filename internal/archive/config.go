package archive

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Config.
const (
	DefaultStream = "RAW"
	DefaultPrefix = "raw"
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultMaxBytes caps RAW at 1 GiB: without a cap of its own, the
	// archive could fill the server's store (its discard-old applies to
	// its own cap only), and then EVENTS could store nothing: every
	// delivery 503 (attack of 2026-12-06).
	DefaultMaxBytes    = 1 << 30
	DefaultWindow      = 4096
	DefaultWindowBytes = 64 << 20
	// duplicateWindow is how long the stream remembers a record's
	// Nats-Msg-Id: a delivery retried within it is kept once.
	duplicateWindow = 2 * time.Minute
	// ackTimeout bounds the wait for one record's acknowledgement; past
	// it the record counts as failed.
	ackTimeout = 10 * time.Second
)

// Config of the archive. Start from DefaultConfig.
type Config struct {
	// Enabled keeps every delivery in the stream; default true. Off, the
	// doors keep nothing and `bridge remap` has nothing to read.
	Enabled bool
	// Stream is the stream's name; default "RAW".
	Stream string
	// Prefix is its subjects' first token: <Prefix>.<provider>.<ingest>;
	// default "raw".
	Prefix string
	// MaxAge drops records older than this, 0 for never; default 7 days.
	MaxAge time.Duration
	// MaxBytes caps the stream's size, -1 for no cap; default 1 GiB. A
	// full archive drops its oldest records (discard old), never a
	// delivery.
	MaxBytes int64
	// Window bounds the records queued or awaiting their acknowledgement;
	// default 4096. A record that finds it full is not kept (counted).
	Window int
	// WindowBytes bounds the bodies queued; default 64 MiB.
	WindowBytes int64
	// NoBatch publishes each record by itself instead of what is queued
	// together as one atomic batch. Not a setting: the daemon sets it when
	// the server acknowledges before it syncs (nats-server's lazy default),
	// where a batch costs the server more (it stages each one in a store
	// of its own) than the sync it would share.
	NoBatch bool
}

// DefaultConfig returns the configuration with every default set.
func DefaultConfig() Config {
	return Config{Enabled: true, Stream: DefaultStream, Prefix: DefaultPrefix, MaxAge: DefaultMaxAge, MaxBytes: DefaultMaxBytes,
		Window: DefaultWindow, WindowBytes: DefaultWindowBytes}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Stream == "" || strings.ContainsAny(c.Stream, ". *>") {
		errs = append(errs, fmt.Errorf("archive: stream name %q: want a name without '.', '*', '>' or spaces", c.Stream))
	}
	if c.Prefix == "" || strings.ContainsAny(c.Prefix, ". *>") {
		errs = append(errs, fmt.Errorf("archive: subject prefix %q: want one subject token", c.Prefix))
	}
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("archive: max age must be 0 (for ever) or more, got %s", c.MaxAge))
	}
	if c.MaxBytes < -1 || c.MaxBytes == 0 {
		errs = append(errs, fmt.Errorf("archive: max bytes must be -1 (no cap) or more than 0, got %d", c.MaxBytes))
	}
	if c.Window < 1 {
		errs = append(errs, fmt.Errorf("archive: window must be 1 or more, got %d", c.Window))
	}
	if c.WindowBytes < 1 {
		errs = append(errs, fmt.Errorf("archive: window bytes must be 1 or more, got %d", c.WindowBytes))
	}
	return errors.Join(errs...)
}

// StreamConfig is the stream the archive writes to, with replicas
// replicas: file storage, subjects <Prefix>.>, the configured age and size
// limits, discard policy old (a full archive forgets its oldest records
// rather than refusing new ones: the archive is a rolling window, and its
// writes never decide a delivery's answer), direct gets for the readers,
// and no sync per write (below).
func (c Config) StreamConfig(replicas int) jetstream.StreamConfig {
	dup := duplicateWindow
	if c.MaxAge > 0 && c.MaxAge < dup {
		dup = c.MaxAge
	}
	cfg := jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "bridge raw archive: every authenticated delivery as received, for bridge remap",
		Subjects:    []string{c.Prefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    replicas,
		Duplicates:  dup,
		MaxBytes:    c.MaxBytes,
		MaxAge:      c.MaxAge,
		Discard:     jetstream.DiscardOld,
		AllowDirect: true,
	}
	// The archive may lose what is not yet on disk in a crash (it is written
	// asynchronously anyway): a single-replica stream is not synced per
	// write even when the server syncs every write (persist mode async), so
	// the archive does not double the syncs the deliveries wait for. A
	// replicated stream (which refuses that mode) is written in atomic
	// batches instead: one sync per batch.
	if replicas == 1 {
		cfg.PersistMode = jetstream.AsyncPersistMode
	} else {
		cfg.AllowAtomicPublish = true
	}
	return cfg
}

// StreamConfigOver is StreamConfig for a stream that exists already as
// have. JetStream never changes a stream's persist mode, so have's is
// kept: a stream made with one replica (persist mode async) stays at one
// replica, which is all that mode allows, and one made replicated keeps
// the default mode and atomic batches at any replica count. stuck says the
// stream keeps fewer replicas than asked (delete RAW to remake it).
func (c Config) StreamConfigOver(have jetstream.StreamConfig, replicas int) (cfg jetstream.StreamConfig, stuck bool) {
	cfg = c.StreamConfig(replicas)
	switch {
	case have.PersistMode == cfg.PersistMode:
		return cfg, false
	case have.PersistMode == jetstream.AsyncPersistMode:
		return c.StreamConfig(1), replicas > 1
	}
	cfg.PersistMode, cfg.AllowAtomicPublish = have.PersistMode, true
	return cfg, false
}
