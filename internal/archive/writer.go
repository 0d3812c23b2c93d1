package archive

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// failureLogEvery spaces the log lines about records not kept.
const failureLogEvery = 10 * time.Second

// Stats are the writer's counts since it was made.
type Stats struct {
	Pending int64  // records queued or awaiting their acknowledgement: the archive's lag
	Written uint64 // records the stream acknowledged
	Dropped uint64 // records not kept because the window was full (or the writer stopped)
	Failed  uint64 // records the stream did not take: NATS down, no acknowledgement in time, refused
}

// Writer keeps deliveries in the archive asynchronously. Keep never
// blocks and never fails the delivery: it queues the record, within a
// window of Config.Window records and Config.WindowBytes bytes of bodies,
// and one goroutine publishes the queue with JetStream's asynchronous
// publish. A record that finds the window full is dropped, one that the
// stream does not acknowledge is failed; both are counted (Stats, the
// bridge_archive_* metrics) and logged, never retried: a delivery that
// could not be stored is answered 503 and comes back, and is kept then.
//
// Start starts the goroutine; Shutdown stops taking records, publishes
// what is queued and waits for the acknowledgements.
type Writer struct {
	js      jetstream.JetStream
	cfg     Config
	log     *slog.Logger
	queue   chan Record
	bytes   atomic.Int64 // body bytes queued
	stopMu  sync.Mutex
	stop    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	started atomic.Bool

	pending                  atomic.Int64
	written, dropped, failed atomic.Uint64
	lastLog                  atomic.Int64 // unix nanos of the last failure logged
}

// NewWriter returns the writer of a valid, enabled cfg, publishing on nc.
func NewWriter(nc *nats.Conn, cfg Config, log *slog.Logger) (*Writer, error) {
	var errs []error
	if nc == nil {
		errs = append(errs, errors.New("archive: a NATS connection is required"))
	}
	if !cfg.Enabled {
		errs = append(errs, errors.New("archive: the writer of a disabled archive"))
	}
	if err := errors.Join(append(errs, cfg.Validate())...); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{cfg: cfg, log: log, queue: make(chan Record, cfg.Window), stop: make(chan struct{}), done: make(chan struct{})}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.Window),
		jetstream.WithPublishAsyncTimeout(ackTimeout),
		jetstream.WithPublishAsyncAckHandler(func(jetstream.JetStream, *nats.Msg, *jetstream.PubAck) {
			w.written.Add(1)
			w.pending.Add(-1)
		}),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			w.fail(m.Subject, err)
		}))
	if err != nil {
		return nil, err
	}
	w.js = js
	return w, nil
}

// Start starts publishing the queue.
func (w *Writer) Start() {
	if w.started.Swap(true) {
		return
	}
	go w.run()
}

// Keep queues r; it returns at once. r.Body and r.Header must not change
// afterwards (the doors never change a delivery's body or headers).
func (w *Writer) Keep(r Record) {
	if w.closed.Load() {
		w.drop(r.Provider, "the archive is shutting down")
		return
	}
	size := int64(len(r.Body))
	if w.bytes.Add(size) > w.cfg.WindowBytes {
		w.bytes.Add(-size)
		w.drop(r.Provider, "the window of bodies queued is full")
		return
	}
	w.pending.Add(1)
	select {
	case w.queue <- r:
	default:
		w.bytes.Add(-size)
		w.pending.Add(-1)
		w.drop(r.Provider, "the window of records queued is full")
	}
}

func (w *Writer) drop(what, why string) {
	w.dropped.Add(1)
	w.logFailure("archive: delivery not kept", "provider", what, "why", why)
}

func (w *Writer) fail(subject string, err error) {
	w.failed.Add(1)
	w.pending.Add(-1)
	w.logFailure("archive: delivery not kept", "subject", subject, "err", err)
}

// logFailure logs at most one line per failureLogEvery.
func (w *Writer) logFailure(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := w.lastLog.Load()
	if now-last < int64(failureLogEvery) || !w.lastLog.CompareAndSwap(last, now) {
		return
	}
	w.log.Warn(msg, append(args, "dropped_total", w.dropped.Load(), "failed_total", w.failed.Load())...)
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		select {
		case r := <-w.queue:
			w.publish(r)
		case <-w.stop:
			for {
				select {
				case r := <-w.queue:
					w.publish(r)
				default:
					return
				}
			}
		}
	}
}

func (w *Writer) publish(r Record) {
	w.bytes.Add(-int64(len(r.Body)))
	m := Encode(w.cfg.Prefix, r)
	if _, err := w.js.PublishMsgAsync(m); err != nil {
		w.fail(m.Subject, err)
	}
}

// Stats returns the writer's counts.
func (w *Writer) Stats() Stats {
	return Stats{Pending: w.pending.Load(), Written: w.written.Load(), Dropped: w.dropped.Load(), Failed: w.failed.Load()}
}

// Shutdown stops taking records (those kept afterwards are dropped),
// publishes the queue and waits for the acknowledgements, or for ctx.
// Safe before Start's goroutine has run and safe twice.
func (w *Writer) Shutdown(ctx context.Context) error {
	w.stopMu.Lock()
	if !w.closed.Swap(true) {
		close(w.stop)
	}
	w.stopMu.Unlock()
	if !w.started.Load() {
		return nil
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
