package deadletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/publish"
)

// ErrUnavailable is wrapped by every error meaning the dead-letter stream
// could not be read or changed (JetStream down, a timeout): try again later.
var ErrUnavailable = errors.New("dead-letter stream unavailable")

// ErrInvalidFilter is wrapped by the error of a Filter that cannot select
// anything: a provider or reason that is not one subject token, a negative
// Since or Limit.
var ErrInvalidFilter = errors.New("invalid dead-letter filter")

// clockSlack widens a Since window on the stream's clock, so a dead letter
// whose receive time (the bridge's clock) is within the window is not
// missed for a skew between the bridge and the NATS server.
const clockSlack = time.Minute

// Filter selects dead letters; the zero value selects all of them.
type Filter struct {
	Provider string        // only this provider's, when set
	Reason   string        // only those with this reason, when set
	Since    time.Duration // only those received within the last Since, when > 0
	Limit    int           // at most this many, the oldest first, when > 0
}

// Validate reports every problem of f at once.
func (f Filter) Validate() error {
	var errs []error
	for _, c := range []struct{ name, v string }{{"provider", f.Provider}, {"reason", f.Reason}} {
		if c.v != "" && !SubjectToken(c.v) {
			errs = append(errs, fmt.Errorf("%s %q: want letters, digits, '-' or '_'", c.name, c.v))
		}
	}
	if f.Since < 0 {
		errs = append(errs, fmt.Errorf("since %s: want a positive duration", f.Since))
	}
	if f.Limit < 0 {
		errs = append(errs, fmt.Errorf("limit %d: want 0 (no limit) or more", f.Limit))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidFilter, err)
	}
	return nil
}

// SubjectToken reports whether s is a subject token as Subject writes them
// (a provider, a reason): letters, digits, '-' and '_'.
func SubjectToken(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return s != ""
}

// Stream reads and deletes the dead letters of the dead-letter stream.
type Stream struct {
	js     jetstream.JetStream
	name   string
	prefix string // subject prefix, "dlq"
	now    func() time.Time
}

// NewStream returns the dead-letter stream named by cfg (DLQStream and the
// prefix of DLQSubjects, as Writer writes them), read through js.
func NewStream(js jetstream.JetStream, cfg publish.Config) *Stream {
	return &Stream{js: js, name: cfg.DLQStream, prefix: subjectPrefix(cfg.DLQSubjects), now: time.Now}
}

// Name is the stream's name.
func (s *Stream) Name() string { return s.name }

// List returns the dead letters f selects, the oldest first.
func (s *Stream) List(ctx context.Context, f Filter) ([]Letter, error) {
	var out []Letter
	err := s.Each(ctx, f, func(l Letter) error {
		out = append(out, l)
		return nil
	})
	return out, err
}

// Each calls fn with every dead letter f selects, the oldest first, among
// those stored when it starts (dead letters written meanwhile, replay's
// rewrites included, are not visited). It stops at the first error of fn
// and returns it; a failure to read wraps ErrUnavailable.
func (s *Stream) Each(ctx context.Context, f Filter, fn func(Letter) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	str, err := s.stream(ctx)
	if err != nil {
		return err
	}
	state := str.CachedInfo().State
	if state.Msgs == 0 {
		return nil
	}
	filter := s.subject(f)
	seq, last := state.FirstSeq, state.LastSeq
	var cutoff time.Time
	if f.Since > 0 {
		cutoff = s.now().Add(-f.Since)
		if seq, err = s.firstStoredSince(ctx, str, filter, seq, last, cutoff.Add(-clockSlack)); err != nil {
			return err
		}
	}
	for n := 0; seq <= last && (f.Limit == 0 || n < f.Limit); {
		m, err := str.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return s.unavailable(fmt.Sprintf("read from sequence %d", seq), err)
		}
		if m.Sequence > last {
			return nil
		}
		seq = m.Sequence + 1
		l := Decode(m)
		if !cutoff.IsZero() && l.ReceivedAt.Before(cutoff) {
			continue
		}
		n++
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// subject is the subject filter of f: dlq.<provider>.<reason> with '*'
// for what f leaves open.
func (s *Stream) subject(f Filter) string {
	if f.Provider == "" && f.Reason == "" {
		return s.prefix + ".>"
	}
	p, r := f.Provider, f.Reason
	if p == "" {
		p = "*"
	}
	if r == "" {
		r = "*"
	}
	return s.prefix + "." + p + "." + r
}

// firstStoredSince returns the lowest sequence in [first, last+1] from
// which the next message on filter was stored at or after t (stream times
// grow with sequences), in a logarithmic number of reads.
func (s *Stream) firstStoredSince(ctx context.Context, str jetstream.Stream, filter string, first, last uint64, t time.Time) (uint64, error) {
	lo, hi := first, last+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		m, err := str.GetMsg(ctx, mid, jetstream.WithGetMsgSubject(filter))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			hi = mid
		case err != nil:
			return 0, s.unavailable(fmt.Sprintf("read from sequence %d", mid), err)
		case m.Sequence > last || !m.Time.Before(t):
			hi = mid
		default:
			lo = m.Sequence + 1
		}
	}
	return lo, nil
}

// Delete removes the dead letter at seq. One already gone is not an error.
func (s *Stream) Delete(ctx context.Context, seq uint64) error {
	str, err := s.stream(ctx)
	if err != nil {
		return err
	}
	if err := str.DeleteMsg(ctx, seq); err != nil {
		if _, gerr := str.GetMsg(ctx, seq); errors.Is(gerr, jetstream.ErrMsgNotFound) {
			return nil
		}
		return s.unavailable(fmt.Sprintf("delete sequence %d", seq), err)
	}
	return nil
}

// Has reports whether a message is stored at seq.
func (s *Stream) Has(ctx context.Context, seq uint64) (bool, error) {
	str, err := s.stream(ctx)
	if err != nil {
		return false, err
	}
	if _, err := str.GetMsg(ctx, seq); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return false, nil
		}
		return false, s.unavailable(fmt.Sprintf("read sequence %d", seq), err)
	}
	return true, nil
}

// stream looks the stream up; a missing stream is not an outage.
func (s *Stream) stream(ctx context.Context) (jetstream.Stream, error) {
	str, err := s.js.Stream(ctx, s.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("dead-letter stream %s: %w", s.name, err)
	}
	if err != nil {
		return nil, s.unavailable("look up", err)
	}
	return str, nil
}

func (s *Stream) unavailable(what string, err error) error {
	return fmt.Errorf("%w: stream %s: %s: %w", ErrUnavailable, s.name, what, err)
}
