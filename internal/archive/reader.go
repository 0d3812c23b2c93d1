package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrInvalidFilter is wrapped by the error of a Filter that cannot select
// anything.
var ErrInvalidFilter = errors.New("invalid archive filter")

// fetchBatch is how many records a Reader asks for at once: its memory is
// at most this many bodies.
const fetchBatch = 64

// Filter selects one provider's archived deliveries.
type Filter struct {
	Provider string        // required: one subject token
	Since    time.Duration // only those stored within the last Since, when > 0
	FromSeq  uint64        // only those from this stream sequence on, when > 0
}

// Validate reports every problem of f at once.
func (f Filter) Validate() error {
	var errs []error
	if !deadletter.SubjectToken(f.Provider) {
		errs = append(errs, fmt.Errorf("provider %q: want letters, digits, '-' or '_'", f.Provider))
	}
	if f.Since < 0 {
		errs = append(errs, fmt.Errorf("since %s: want a positive duration", f.Since))
	}
	if f.Since > 0 && f.FromSeq > 0 {
		errs = append(errs, errors.New("since and from-seq: give one of them"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidFilter, err)
	}
	return nil
}

// Reader walks the archive.
type Reader struct {
	js  jetstream.JetStream
	cfg Config
}

// NewReader returns the reader of the archive cfg names, through js.
func NewReader(js jetstream.JetStream, cfg Config) *Reader { return &Reader{js: js, cfg: cfg} }

// Each calls fn with every record f selects, the oldest first, among those
// stored when it starts (records kept meanwhile are not visited), holding
// at most a batch of them in memory. It stops at the first error of fn and
// returns it.
func (r *Reader) Each(ctx context.Context, f Filter, fn func(Record) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{Subject(r.cfg.Prefix, f.Provider, ">")}}
	switch {
	case f.FromSeq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, f.FromSeq
	case f.Since > 0:
		start := time.Now().Add(-f.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	str, err := r.js.Stream(ctx, r.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s does not exist: no bridge with the archive on has run against this NATS server", r.cfg.Stream)
	}
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
	}
	last := str.CachedInfo().State.LastSeq
	cons, err := str.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
	}
	pending := info.NumPending
	for pending > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := cons.Fetch(int(min(pending, fetchBatch)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
			}
			if meta.Sequence.Stream > last {
				return nil
			}
			pending = meta.NumPending
			rec, err := Decode(&jetstream.RawStreamMsg{Subject: m.Subject(), Sequence: meta.Sequence.Stream, Header: m.Headers(),
				Data: m.Data(), Time: meta.Timestamp})
			if err != nil {
				return err
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("reading stream %s: %w", r.cfg.Stream, err)
		}
		if n == 0 { // nothing came in time: what was pending is gone (expired)
			return nil
		}
	}
	return nil
}
