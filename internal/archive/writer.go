package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// failureLogEvery spaces the log lines about records not kept.
const failureLogEvery = 10 * time.Second

// Atomic batches (nats-server 2.12+, a stream with allow_atomic): the
// headers, the error of a stream that does not allow them, and the most
// records sent in one (the server takes up to 1000).
const (
	headerBatchID         = "Nats-Batch-Id"
	headerBatchSeq        = "Nats-Batch-Sequence"
	headerBatchCommit     = "Nats-Batch-Commit"
	errCodeAtomicDisabled = 10174
	maxBatch              = 256
)

// Stats are the writer's counts since it was made.
type Stats struct {
	Pending int64  // records queued or awaiting their acknowledgement: the archive's lag
	Written uint64 // records the stream acknowledged
	Dropped uint64 // records not kept because the window was full (or the writer stopped)
	Failed  uint64 // records the stream did not take: NATS down, no acknowledgement in time, refused
	Batched uint64 // of Written, those stored in atomic batches of several
}

// Writer keeps deliveries in the archive asynchronously. Keep never
// blocks and never fails the delivery: it queues the record, within a
// window of Config.Window records and Config.WindowBytes bytes of bodies,
// and one goroutine publishes the queue with JetStream's asynchronous
// publish. A record that finds the window full is dropped, one that the
// stream does not acknowledge is failed; both are counted (Stats, the
// bridge_archive_* metrics) and logged, never retried: a delivery that
// could not be stored is answered 503 and comes back, and is kept then.
// What is queued when the goroutine takes its next turn goes as one atomic
// batch (up to 256 records), so that a server syncing every write syncs
// the archive once per batch rather than once per delivery (unless
// Config.NoBatch).
//
// Start starts the goroutine; Shutdown stops taking records, publishes
// what is queued and waits for the acknowledgements.
type Writer struct {
	nc       *nats.Conn
	noAtomic atomic.Bool // the stream refused atomic batches: one by one
	js       jetstream.JetStream
	cfg      Config
	log      *slog.Logger
	queue    chan Record
	bytes    atomic.Int64 // body bytes queued or published and not yet acknowledged
	stopMu   sync.Mutex
	stop     chan struct{}
	done     chan struct{}
	closed   atomic.Bool
	started  atomic.Bool

	pending                  atomic.Int64
	written, dropped, failed atomic.Uint64
	batched                  atomic.Uint64
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
	w := &Writer{nc: nc, cfg: cfg, log: log, queue: make(chan Record, cfg.Window), stop: make(chan struct{}), done: make(chan struct{})}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.Window),
		jetstream.WithPublishAsyncTimeout(ackTimeout),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) {
			w.bytes.Add(-int64(len(m.Data)))
			w.written.Add(1)
			w.pending.Add(-1)
		}),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			w.bytes.Add(-int64(len(m.Data)))
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
	batch := make([]Record, 0, maxBatch)
	for {
		select {
		case r := <-w.queue:
			batch = w.fill(append(batch[:0], r))
			w.send(batch)
		case <-w.stop:
			for {
				if batch = w.fill(batch[:0]); len(batch) == 0 {
					return
				}
				w.send(batch)
			}
		}
	}
}

// fill adds what is queued to batch, up to maxBatch records.
func (w *Writer) fill(batch []Record) []Record {
	for len(batch) < maxBatch {
		select {
		case r := <-w.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// send stores batch: several records as one atomic batch (a server that
// syncs every write syncs it once), a record alone, or those of a batch
// the stream refused, with an asynchronous publish each.
func (w *Writer) send(batch []Record) {
	// The bodies stay counted in the window until their acknowledgement
	// (or failure): a slow or absent RAW must not let memory grow past
	// WindowBytes (attack of 2026-12-06: 64 MiB held with a 4 MiB window).
	msgs := make([]*nats.Msg, len(batch))
	var size int64
	for i, r := range batch {
		size += int64(len(r.Body))
		msgs[i] = Encode(w.cfg.Prefix, r)
	}
	if len(msgs) == 1 || w.cfg.NoBatch || w.noAtomic.Load() {
		w.publishEach(msgs)
		return
	}
	err := w.atomic(msgs)
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		w.bytes.Add(-size)
		w.batched.Add(uint64(len(msgs)))
		w.written.Add(uint64(len(msgs)))
		w.pending.Add(-int64(len(msgs)))
	case errors.As(err, &apiErr):
		// Refused, nothing stored: a record already kept (its Nats-Msg-Id
		// within the duplicate window), or a stream without atomic batches.
		if apiErr.ErrorCode == errCodeAtomicDisabled {
			w.noAtomic.Store(true)
		}
		w.publishEach(msgs)
	default:
		w.bytes.Add(-size)
		for _, m := range msgs {
			w.fail(m.Subject, err)
		}
	}
}

func (w *Writer) publishEach(msgs []*nats.Msg) {
	for _, m := range msgs {
		if _, err := w.js.PublishMsgAsync(m); err != nil {
			w.bytes.Add(-int64(len(m.Data)))
			w.fail(m.Subject, err)
		}
	}
}

// atomic stores msgs as one atomic batch: each but the last published with
// the batch's id and sequence, the last one committing it, as a request
// whose answer acknowledges the whole batch.
func (w *Writer) atomic(msgs []*nats.Msg) error {
	id := nuid.Next()
	n := len(msgs)
	for i, m := range msgs[:n-1] {
		if err := w.nc.PublishMsg(batchMsg(m, id, i+1, false)); err != nil {
			return err
		}
	}
	resp, err := w.nc.RequestMsg(batchMsg(msgs[n-1], id, n, true), ackTimeout)
	if err != nil {
		return err
	}
	var ack struct {
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return fmt.Errorf("archive: batch acknowledgement %q: %w", resp.Data, err)
	}
	if ack.Error != nil {
		return ack.Error
	}
	return nil
}

// batchMsg is m as message seq of the atomic batch id: a copy, so that m
// can still be published alone.
func batchMsg(m *nats.Msg, id string, seq int, commit bool) *nats.Msg {
	h := make(nats.Header, len(m.Header)+3)
	for k, v := range m.Header {
		h[k] = v
	}
	h[headerBatchID] = []string{id}
	h[headerBatchSeq] = []string{strconv.Itoa(seq)}
	if commit {
		h[headerBatchCommit] = []string{"1"}
	}
	return &nats.Msg{Subject: m.Subject, Header: h, Data: m.Data}
}

// Stats returns the writer's counts.
func (w *Writer) Stats() Stats {
	return Stats{Pending: w.pending.Load(), Written: w.written.Load(), Dropped: w.dropped.Load(), Failed: w.failed.Load(), Batched: w.batched.Load()}
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
