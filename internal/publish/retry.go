package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnavailable is wrapped by every error meaning JetStream did not store
// (or could not answer about) a message; callers answer 503 and the sender
// retries later.
var ErrUnavailable = errors.New("jetstream unavailable")

// ErrRejected is wrapped by an error that retrying cannot fix: the server
// or the client refused the request itself (a message larger than the
// server's max payload, a subject the stream does not capture, a stream
// configuration the server does not accept). It is returned at the first
// attempt. From Publish and DeadLetter it comes wrapped with ErrUnavailable
// as well, since the message was not stored.
var ErrRejected = errors.New("rejected")

// errRetry marks an error an operation wants retried whatever its kind.
var errRetry = errors.New("retry")

// retrier runs JetStream requests again on transient failures with
// exponential backoff and full jitter until the caller's context is done.
// It holds no lock and no state shared between calls.
type retrier struct {
	policy retry.Policy
	log    *slog.Logger
}

func newRetrier(cfg Config, log *slog.Logger) retrier {
	return retrier{policy: retry.Policy{
		Initial: cfg.RetryInitial, Max: cfg.RetryMax, Jitter: retry.Full, AttemptTimeout: cfg.AttemptTimeout,
		Retryable: func(err error) bool { return classify(err) == transient },
	}, log: log}
}

// do calls op until it returns nil or a permanent error, or ctx is done.
// Each call gets a context bounded by the attempt timeout. what names the
// operation in the error, which wraps the last cause and either
// ErrUnavailable (gave up, or the connection is closed) or ErrRejected.
func (r retrier) do(ctx context.Context, what string, op func(context.Context) error) error {
	p := r.policy
	if r.log.Enabled(ctx, slog.LevelDebug) { // no closure on the hot path unless it logs
		p.OnRetry = func(attempt int, wait time.Duration, err error) {
			r.log.Debug("jetstream request failed, retrying", "op", what, "attempt", attempt, "wait", wait, "err", err)
		}
	}
	attempts, err := retry.Do(ctx, p, op)
	if err == nil {
		return nil
	}
	switch classify(err) {
	case rejected:
		return fmt.Errorf("%s: %w: %w", what, ErrRejected, err)
	case final:
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
	}
	return giveUp(ctx, what, attempts, err)
}

func giveUp(ctx context.Context, what string, attempts int, last error) error {
	if errors.Is(last, nats.ErrReconnectBufExceeded) {
		// What nats.go says when nothing may be buffered while
		// disconnected; its text ("outbound buffer limit exceeded") would
		// send an operator looking at buffers.
		last = notConnected{last}
	}
	return fmt.Errorf("%w: %s: gave up after %d attempt(s) (%v): %w", ErrUnavailable, what, attempts, context.Cause(ctx), last)
}

// notConnected is a request refused because the client has no connection
// (it wraps nats.ErrReconnectBufExceeded).
type notConnected struct{ err error }

func (e notConnected) Error() string {
	return "not connected to NATS (see the \"nats connect failed\" log lines)"
}
func (e notConnected) Unwrap() error { return e.err }

// errCodeReplicasNotSupported is JetStream's "replicas > 1 not supported in
// non-clustered mode": code 500, yet no retry helps.
const errCodeReplicasNotSupported jetstream.ErrorCode = 10074

// failure kinds, see classify.
type failure int

const (
	transient failure = iota // may go away by itself: retry
	rejected                 // the message itself was refused: retrying cannot help
	final                    // the connection is closed or closing: retrying cannot help
)

// classify sorts err. Transient: no responders, timeouts, a connection that
// is reconnecting (nothing is buffered, so a publish fails at once),
// JetStream or a stream leader temporarily unavailable, a full stream (all
// code 503), "duplicate message id is in process" (409), too many requests.
// Unknown errors count as transient: retrying is safe because every attempt
// carries the same Nats-Msg-Id.
func classify(err error) failure {
	if errors.Is(err, errRetry) {
		return transient
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.ErrorCode == errCodeReplicasNotSupported:
			return rejected
		case apiErr.Code == 408, apiErr.Code == 409, apiErr.Code == 429, apiErr.Code >= 500:
			return transient
		}
		return rejected
	}
	switch {
	case errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining):
		return final
	case errors.Is(err, nats.ErrMaxPayload),
		errors.Is(err, nats.ErrBadSubject),
		errors.Is(err, nats.ErrHeadersNotSupported),
		errors.Is(err, nats.ErrBadHeaderMsg),
		errors.Is(err, nats.ErrInvalidMsg),
		errors.Is(err, jetstream.ErrInvalidOption):
		return rejected
	}
	return transient
}
