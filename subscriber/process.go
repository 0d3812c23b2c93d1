package subscriber

import (
	"context"
	"fmt"
	"time"

	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/cloudevents/sdk-go/v2/event"
)

// Pauses between tries: the handler's, doubling from firstRetry up to
// maxRetry; JetStream's (records, dead letters, acks), up to maxPersist.
const (
	firstRetry = 100 * time.Millisecond
	maxRetry   = 5 * time.Second
	maxPersist = 2 * time.Second
)

// process settles one delivery: it ends acknowledged (handled, skipped as
// a duplicate, or dead-lettered), or, when work ends first, unacknowledged
// for the next run. run ends with Run's context: no new attempt starts
// after it; work bounds the handler, the records and the ack.
func (s *sub) process(run, work context.Context, d *delivery) {
	// A message this subscriber already dead-lettered, delivered again (a
	// lost ack, or the rewind at start): acknowledge it, nothing more.
	if d.redelivery || d.seq <= s.replayUpTo {
		var dead bool
		err := s.persist(work, "reading the dead-letter record", func(ctx context.Context) (err error) {
			dead, err = s.kv.has(ctx, deadKey(d.seq))
			return err
		})
		if err != nil {
			return
		}
		if dead {
			s.ack(work, d)
			return
		}
	}
	if reason, err := s.check(d); err != nil {
		s.cfg.Metrics.invalid(reason)
		s.deadLetter(work, d, reason, err, 0)
		return
	}
	e, key := d.ev, KeyOf(*d.ev)
	release, err := s.keys.acquire(work, key)
	if err != nil {
		return
	}
	defer release()
	var done bool
	err = s.persist(work, "reading the idempotency record", func(ctx context.Context) (err error) {
		done, err = s.store.IsDone(ctx, key)
		return err
	})
	if err != nil {
		return
	}
	if done {
		s.cfg.Metrics.duplicate(e.Type())
		s.ack(work, d)
		return
	}
	waits := retry.Policy{Initial: firstRetry, Max: maxRetry}.Backoff()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := s.call(work, e.Clone())
		if err == nil {
			if s.persist(work, "recording the idempotency key", func(ctx context.Context) error {
				return s.store.MarkDone(ctx, key)
			}) != nil {
				return
			}
			s.cfg.Metrics.handled(e.Type(), time.Since(start))
			s.ack(work, d)
			return
		}
		switch {
		case work.Err() != nil:
			return // given up at shutdown: the next run gets it again
		case isPermanent(err):
			s.deadLetter(work, d, ReasonRejected, err, attempt)
			return
		case attempt >= s.cfg.MaxDeliver:
			s.deadLetter(work, d, ReasonMaxDeliveries, err, attempt)
			return
		}
		s.cfg.Metrics.retry(e.Type(), attempt)
		if sleep(run, waits.Next()) != nil {
			return
		}
	}
}

// check returns why d cannot be handed to the handler: not a CloudEvent,
// a broken profile rule or data that fails its schema.
func (s *sub) check(d *delivery) (reason string, err error) {
	if d.decodeErr != nil {
		return ReasonNotCloudEvent, d.decodeErr
	}
	if err := checkProfile(d.structured); err != nil {
		return ReasonInvalidEvent, err
	}
	if err := s.schemas.validate(d.ev.DataSchema(), d.ev.Data()); err != nil {
		return ReasonSchema, err
	}
	return "", nil
}

// call runs the handler, turning a panic into an error.
func (s *sub) call(ctx context.Context, e event.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError{v}
		}
	}()
	return s.h(ctx, e)
}

// deadLetter stores d in the dead-letter stream, records its sequence so
// that a redelivery is not handled again, and acknowledges it.
func (s *sub) deadLetter(ctx context.Context, d *delivery, reason string, cause error, attempts int) {
	if s.persist(ctx, "writing a dead letter", func(ctx context.Context) error {
		return s.dead.write(ctx, d.msg, d.seq, reason, cause, attempts)
	}) != nil {
		return
	}
	if s.persist(ctx, "recording a dead letter", func(ctx context.Context) error {
		return s.kv.markDead(ctx, d.seq, reason)
	}) != nil {
		return
	}
	s.cfg.Metrics.deadLettered(reason)
	s.log.Warn("dead-lettered", "reason", reason, "error", cause, "subject", d.msg.Subject(),
		"sequence", d.seq, "attempts", attempts, "stream", DeadLetterStream(s.cfg.Name))
	s.ack(ctx, d)
}

// ack acknowledges d and waits for the server to confirm, so that the
// entity's next event is handled only once this one cannot come back.
func (s *sub) ack(ctx context.Context, d *delivery) {
	_ = s.persist(ctx, "acknowledging", func(ctx context.Context) error {
		return d.msg.DoubleAck(ctx)
	})
}

// persist calls f until it succeeds or ctx ends (then it returns ctx's
// error), pausing between tries (internal/retry); it logs the first failure
// and every 30th.
func (s *sub) persist(ctx context.Context, what string, f func(context.Context) error) error {
	_, err := retry.Do(ctx, retry.Policy{Initial: firstRetry, Max: maxPersist,
		OnRetry: func(attempt int, _ time.Duration, err error) {
			if attempt%30 == 1 {
				s.log.Warn(what, "error", err, "attempt", attempt)
			}
		}}, f)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
}
