// Package retry owns how the bridge tries a request to NATS again: the
// backoff between attempts, its jitter, the timeout of one attempt, and when
// to stop (success, an error no retry can fix, or the caller's context).
//
// It does not decide which errors are worth retrying, nor how the last one
// is reported: each caller (publish, the idempotency store, stream set-up)
// says so in its Policy and wraps the error Do returns.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Jitter is how a wait is drawn from the current backoff ceiling.
type Jitter int

const (
	// None waits the ceiling itself.
	None Jitter = iota
	// Full waits uniformly in [0, ceiling): retries of many callers spread
	// out best (publish).
	Full
	// Equal waits half the ceiling plus uniformly up to the other half:
	// never much shorter than the ceiling (the idempotency store).
	Equal
)

// Policy says how Do tries again. The zero Policy retries every error at
// once, for ever, within ctx: set at least Initial.
type Policy struct {
	// Initial is the first backoff ceiling; it doubles after each wait up
	// to Max.
	Initial time.Duration
	// Max caps the ceiling; below Initial it is Initial.
	Max time.Duration
	// Jitter draws each wait from the ceiling; default None.
	Jitter Jitter
	// AttemptTimeout bounds one attempt, unless ctx's deadline comes
	// sooner, so that a request lost in a disconnect is tried again instead
	// of waiting for the whole deadline; 0: attempts are bounded by ctx only.
	AttemptTimeout time.Duration
	// Retryable reports whether another attempt may succeed after err; nil:
	// every error may go away.
	Retryable func(err error) bool
	// OnRetry, when set, is called before each wait with the number of
	// attempts made, the wait and the error of the last one.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Do calls op until it returns nil, returns an error p.Retryable refuses,
// or ctx ends (checked after each failure and during each wait). It returns
// the number of attempts made and nil or the last attempt's error: when
// that error is retryable, Do stopped because ctx ended (context.Cause(ctx)
// says why).
func Do(ctx context.Context, p Policy, op func(context.Context) error) (int, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	bo := p.Backoff()
	for attempt := 1; ; attempt++ {
		err := p.once(ctx, op)
		if err == nil {
			return attempt, nil
		}
		if !p.retryable(err) || ctx.Err() != nil {
			return attempt, err
		}
		wait := bo.Next()
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return attempt, err
		case <-timer.C:
		}
	}
}

// Backoff is a Policy's waits one at a time, for a caller whose attempts
// are not one function call (a watch restarted by a timer, a handler whose
// failures decide more than a retry): the ceiling starts at Initial and
// doubles after each wait up to Max; each wait is drawn by Jitter.
type Backoff struct {
	p    Policy
	ceil time.Duration
}

// Backoff returns the waits of p, from the first.
func (p Policy) Backoff() *Backoff { return &Backoff{p: p, ceil: p.Initial} }

// Next returns the next wait.
func (b *Backoff) Next() time.Duration {
	wait := b.p.Jitter.draw(b.ceil)
	b.ceil = min(2*b.ceil, max(b.p.Max, b.p.Initial))
	return wait
}

// Reset starts the waits again from the first (after a success).
func (b *Backoff) Reset() { b.ceil = b.p.Initial }

// once runs op with a context bounded by the attempt timeout, unless the
// caller's deadline comes sooner anyway.
func (p Policy) once(ctx context.Context, op func(context.Context) error) error {
	if p.AttemptTimeout <= 0 {
		return op(ctx)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= p.AttemptTimeout {
		return op(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, p.AttemptTimeout)
	defer cancel()
	return op(actx)
}

func (p Policy) retryable(err error) bool { return p.Retryable == nil || p.Retryable(err) }

// draw returns a wait for the ceiling c.
func (j Jitter) draw(c time.Duration) time.Duration {
	if c <= 0 {
		return 0
	}
	switch j {
	case Full:
		return rand.N(c)
	case Equal:
		return c/2 + rand.N(c/2+1)
	}
	return c
}
