package publish

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultStream          = "EVENTS"
	DefaultSubject         = "event.>"
	DefaultDLQStream       = "EVENTS_DLQ"
	DefaultDLQSubject      = "dlq.>"
	DefaultReplicas        = 1
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxBytes        = -1 // unlimited
	DefaultMaxAge          = 0  // unlimited
	DefaultManageStreams   = true
	DefaultRetryInitial    = 50 * time.Millisecond
	DefaultRetryMax        = time.Second
	DefaultAttemptTimeout  = 2 * time.Second
)

// MaxReplicas is the largest replica count JetStream accepts.
const MaxReplicas = 5

// Config of the streams and of the publisher's retries. Start from
// DefaultConfig.
type Config struct {
	// Stream is the events stream's name; default "EVENTS".
	Stream string
	// Subjects of the events stream; default ["event.>"].
	Subjects []string
	// DLQStream is the dead-letter stream's name; default "EVENTS_DLQ".
	DLQStream string
	// DLQSubjects of the dead-letter stream; default ["dlq.>"].
	DLQSubjects []string
	// Replicas of both streams, 1..5; default 1.
	Replicas int
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id, > 0
	// and at most MaxAge when MaxAge is set; default 2m.
	DuplicateWindow time.Duration
	// MaxBytes caps each stream's size, -1 for unlimited (the default).
	// A full stream refuses writes (discard policy new).
	MaxBytes int64
	// MaxAge drops messages older than this from each stream, 0 for
	// unlimited (the default).
	MaxAge time.Duration
	// ManageStreams makes EnsureStreams create or update the streams; false
	// only checks that they exist. Default true.
	ManageStreams bool
	// RetryInitial is the first backoff between attempts; default 50ms.
	RetryInitial time.Duration
	// RetryMax caps the backoff; default 1s.
	RetryMax time.Duration
	// AttemptTimeout bounds one attempt (one request to JetStream) within
	// the caller's deadline, so a request lost in a disconnect is retried
	// instead of waiting for the whole deadline; default 2s.
	AttemptTimeout time.Duration
	// NoBatch stores each event with a request of its own instead of
	// sharing atomic batches with concurrent calls (see Batcher): for a
	// server that does not sync every write, where a batch costs more than
	// the sync it shares. Default false.
	NoBatch bool
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Stream:          DefaultStream,
		Subjects:        []string{DefaultSubject},
		DLQStream:       DefaultDLQStream,
		DLQSubjects:     []string{DefaultDLQSubject},
		Replicas:        DefaultReplicas,
		DuplicateWindow: DefaultDuplicateWindow,
		MaxBytes:        DefaultMaxBytes,
		MaxAge:          DefaultMaxAge,
		ManageStreams:   DefaultManageStreams,
		RetryInitial:    DefaultRetryInitial,
		RetryMax:        DefaultRetryMax,
		AttemptTimeout:  DefaultAttemptTimeout,
	}
}

// Validate checks c and returns every problem joined, in field order. It
// never changes c.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	checkName := func(field, name string) {
		if name == "" {
			add("%s: empty, want a stream name", field)
		} else if strings.ContainsAny(name, ".*> \t\r\n/\\") {
			add("%s: %q may not contain '.', '*', '>', '/', '\\' or whitespace", field, name)
		}
	}
	checkSubjects := func(field string, subjects []string) {
		if len(subjects) == 0 {
			add("%s: empty, want at least one subject", field)
		}
		for _, s := range subjects {
			if err := checkSubject(s); err != nil {
				add("%s: %w", field, err)
			}
		}
	}
	checkName("stream", c.Stream)
	checkSubjects("subjects", c.Subjects)
	checkName("dlq stream", c.DLQStream)
	checkSubjects("dlq subjects", c.DLQSubjects)
	if c.Stream != "" && c.Stream == c.DLQStream {
		add("dlq stream: %q is also the events stream", c.DLQStream)
	}
	for _, s := range c.DLQSubjects {
		for _, e := range c.Subjects {
			if s == e {
				add("dlq subjects: %q is also an events subject", s)
			}
		}
	}
	if c.Replicas < 1 || c.Replicas > MaxReplicas {
		add("replicas: %d, want 1..%d", c.Replicas, MaxReplicas)
	}
	if c.DuplicateWindow <= 0 {
		add("duplicate window: %s, want > 0", c.DuplicateWindow)
	}
	if c.MaxBytes != -1 && c.MaxBytes <= 0 {
		add("max bytes: %d, want -1 (unlimited) or > 0", c.MaxBytes)
	}
	if c.MaxAge < 0 {
		add("max age: %s, want 0 (unlimited) or > 0", c.MaxAge)
	}
	if c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge {
		add("duplicate window: %s is longer than max age %s", c.DuplicateWindow, c.MaxAge)
	}
	if c.RetryInitial <= 0 {
		add("retry initial: %s, want > 0", c.RetryInitial)
	}
	if c.RetryMax < c.RetryInitial {
		add("retry max: %s, want >= retry initial %s", c.RetryMax, c.RetryInitial)
	}
	if c.AttemptTimeout <= 0 {
		add("attempt timeout: %s, want > 0", c.AttemptTimeout)
	}
	return errors.Join(errs...)
}

// checkSubject reports whether s is a valid NATS subject (wildcards
// allowed): dot-separated non-empty tokens, no whitespace, '>' only last.
func checkSubject(s string) error {
	if s == "" {
		return errors.New("empty subject")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("subject %q contains whitespace", s)
	}
	tokens := strings.Split(s, ".")
	for i, tok := range tokens {
		switch {
		case tok == "":
			return fmt.Errorf("subject %q has an empty token", s)
		case tok == ">" && i != len(tokens)-1:
			return fmt.Errorf("subject %q has '>' before its last token", s)
		case len(tok) > 1 && strings.ContainsAny(tok, "*>"):
			return fmt.Errorf("subject %q has a wildcard inside a token", s)
		}
	}
	return nil
}
