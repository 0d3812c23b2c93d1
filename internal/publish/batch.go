package publish

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goccy/go-json"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// The headers of JetStream's atomic batch publishing (nats-server 2.12+, a
// stream with allow_atomic).
const (
	HeaderBatchID     = "Nats-Batch-Id"
	HeaderBatchSeq    = "Nats-Batch-Sequence"
	HeaderBatchCommit = "Nats-Batch-Commit"
)

// JetStream's error codes for atomic batches.
const (
	errCodeAtomicDisabled  = 10174 // the stream does not allow atomic batches
	errCodeBatchDuplicate  = 10201 // a message id of the batch is already stored, or twice in it
	defaultMaxBatch        = 256   // the server takes up to 1000
	defaultBatchAttemptFor = 5 * time.Second
	defaultBatchesInFlight = 2
)

// Batcher stores messages in one stream, sharing the store's sync among
// concurrent callers: a message handed in while a batch is being stored
// waits, and the waiting messages go together as the next atomic batch.
// With sync_interval: always nats-server syncs an atomic batch once at its
// commit instead of once per message, so one sync acknowledges many
// callers. Nothing waits for a timer: a caller alone is sent at once.
//
// Every caller is answered with its own message's acknowledgement (or
// error) only after the whole batch is committed. A batch JetStream refuses
// stores nothing (it is atomic), and its messages are then sent one by one
// as Store would without batching: that is how a message whose Nats-Msg-Id
// is already stored is answered as a duplicate (an atomic batch refuses
// duplicates instead of skipping them). A stream that does not allow
// atomic batches turns batching off for good.
//
// Batcher is safe for concurrent use. It owns no goroutine: the caller
// whose turn it is sends the batch, then hands the turn to the next
// waiting caller (a refused batch's messages are stored one by one from
// goroutines that the sending call waits for).
type Batcher struct {
	request func(context.Context, *nats.Msg) (*nats.Msg, error)
	publish func(*nats.Msg) error
	max     int
	// attempt bounds the sending of one batch; it is not any caller's
	// context, since the batch carries many callers' messages.
	attempt time.Duration
	off     atomic.Bool // the stream refused atomic batches: one by one

	// inFlight is how many batches may be on their way at once: while
	// the server syncs one, the next is already sent.
	inFlight int

	mu      sync.Mutex
	queue   []*waiter
	leaders int // callers sending a batch, at most inFlight

	batches, batched atomic.Uint64 // batches of 2 or more committed, and their messages (BatchStats)
}

// waiter is one caller's message in the queue.
type waiter struct {
	msg  *nats.Msg
	done chan batchResult // buffered: the result is never blocked on
	lead chan struct{}    // buffered: the turn to send the next batch
	// Guarded by Batcher.mu.
	queued, leads bool
}

type batchResult struct {
	ack Ack
	err error
}

// NewBatcher returns a Batcher that sends through nc. The stream must
// allow atomic batches (allow_atomic), or the Batcher stores one message
// at a time.
func NewBatcher(nc *nats.Conn) *Batcher {
	return newBatcher(nc.RequestMsgWithContext, nc.PublishMsg)
}

func newBatcher(request func(context.Context, *nats.Msg) (*nats.Msg, error), publish func(*nats.Msg) error) *Batcher {
	return &Batcher{request: request, publish: publish, max: defaultMaxBatch, attempt: defaultBatchAttemptFor, inFlight: defaultBatchesInFlight}
}

// BatchStats is how many atomic batches of two messages or more were
// committed, and how many messages they held.
func (b *Batcher) BatchStats() (batches, messages uint64) {
	return b.batches.Load(), b.batched.Load()
}

// Store is StoreOnce through the batch: msg stored (once it is its turn,
// with the messages that were waiting beside it) and its acknowledgement
// read. It returns the errors StoreOnce returns. msg is not modified.
//
// When ctx ends before msg was sent, Store returns ctx's error and msg is
// not sent; once it was sent, Store waits for the batch's answer (bounded
// by the batch's own timeout).
func (b *Batcher) Store(ctx context.Context, msg *nats.Msg) (Ack, error) {
	if err := ctx.Err(); err != nil {
		return Ack{}, err
	}
	if b.off.Load() {
		return StoreOnce(ctx, b.request, msg)
	}
	w := &waiter{msg: msg, done: make(chan batchResult, 1), lead: make(chan struct{}, 1), queued: true}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	if b.leaders < b.inFlight {
		b.leaders++
		w.leads = true
		w.lead <- struct{}{}
	}
	b.mu.Unlock()
	for {
		select {
		case <-w.lead:
			b.sendNext(w)
		case r := <-w.done:
			b.leadIfAsked(w)
			return r.ack, r.err
		case <-ctx.Done():
			b.mu.Lock()
			if w.queued && !w.leads {
				b.remove(w)
				b.mu.Unlock()
				return Ack{}, ctx.Err()
			}
			b.mu.Unlock()
			// Sent, or ours is the turn to send: others wait on it. The
			// answer comes within the batch's own timeout.
			for {
				select {
				case <-w.lead:
					b.sendNext(w)
				case r := <-w.done:
					b.leadIfAsked(w)
					return r.ack, r.err
				}
			}
		}
	}
}

// leadIfAsked takes the turn handed to w after another caller's batch
// carried w's message, so the turn is never lost.
func (b *Batcher) leadIfAsked(w *waiter) {
	b.mu.Lock()
	leads := w.leads
	b.mu.Unlock()
	if leads {
		<-w.lead
		b.sendNext(w)
	}
}

// remove takes w out of the queue. b.mu is held.
func (b *Batcher) remove(w *waiter) {
	for i, q := range b.queue {
		if q == w {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			break
		}
	}
	w.queued = false
}

// sendNext is w's turn: it sends the head of the queue (at most max
// messages; w's own unless another turn took it already) as one batch,
// answers each of its callers, and hands the turn to the next waiting
// caller that has none, if any.
func (b *Batcher) sendNext(w *waiter) {
	b.mu.Lock()
	w.leads = false
	n := min(len(b.queue), b.max)
	batch := make([]*waiter, n)
	copy(batch, b.queue[:n])
	b.queue = append(b.queue[:0], b.queue[n:]...)
	for _, q := range batch {
		q.queued = false
	}
	b.mu.Unlock()

	if n > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), b.attempt)
		results := b.send(ctx, batch)
		cancel()
		for i, q := range batch {
			q.done <- results[i]
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, next := range b.queue {
		if !next.leads {
			next.leads = true
			next.lead <- struct{}{}
			return
		}
	}
	b.leaders--
}

// send stores the batch's messages: one alone as StoreOnce does, several
// as an atomic batch, and one by one when the batch is refused.
func (b *Batcher) send(ctx context.Context, batch []*waiter) []batchResult {
	results := make([]batchResult, len(batch))
	if len(batch) == 1 || b.off.Load() {
		b.oneByOne(ctx, batch, results)
		return results
	}
	acks, err := b.atomic(ctx, batch)
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		b.batches.Add(1)
		b.batched.Add(uint64(len(batch)))
		for i := range results {
			results[i].ack = acks[i]
		}
	case errors.As(err, &apiErr):
		// Refused: nothing of the batch is stored.
		if apiErr.ErrorCode == errCodeAtomicDisabled {
			b.off.Store(true)
		}
		b.oneByOne(ctx, batch, results)
	default:
		// No answer: the batch may or may not be stored. Each caller
		// retries (a retry is de-duplicated by its Nats-Msg-Id).
		for i := range results {
			results[i].err = err
		}
	}
	return results
}

// oneByOne stores each message with its own request, concurrently.
func (b *Batcher) oneByOne(ctx context.Context, batch []*waiter, results []batchResult) {
	if len(batch) == 1 {
		results[0].ack, results[0].err = StoreOnce(ctx, b.request, batch[0].msg)
		return
	}
	var wg sync.WaitGroup
	for i, w := range batch {
		wg.Go(func() {
			results[i].ack, results[i].err = StoreOnce(ctx, b.request, w.msg)
		})
	}
	wg.Wait()
}

// atomic sends the batch as one atomic batch: every message but the last
// published with the batch's id and its sequence, the last one also
// committing it, as a request whose answer acknowledges the whole batch.
// The messages get consecutive sequences ending at the acknowledged one.
func (b *Batcher) atomic(ctx context.Context, batch []*waiter) ([]Ack, error) {
	id := nuid.Next()
	n := len(batch)
	for i, w := range batch[:n-1] {
		if err := b.publish(batchMsg(w.msg, id, i+1, false)); err != nil {
			return nil, err
		}
	}
	resp, err := b.request(ctx, batchMsg(batch[n-1].msg, id, n, true))
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, jetstream.ErrNoStreamResponse
	}
	if err != nil {
		return nil, err
	}
	var pa batchAck
	if err := json.Unmarshal(resp.Data, &pa); err != nil {
		return nil, jetstream.ErrInvalidJSAck
	}
	if pa.Error != nil {
		return nil, fmt.Errorf("nats: %w", pa.Error)
	}
	if pa.Batch == "" {
		// A server without atomic batches (before 2.12) took each message
		// as a plain publish: whether all were stored is unknown, and the
		// callers' retries go one by one from now on.
		b.off.Store(true)
		return nil, fmt.Errorf("%w: the server does not know atomic batches (nats-server 2.12 or later)", jetstream.ErrInvalidJSAck)
	}
	if pa.Stream == "" || pa.Count != n || pa.Sequence < uint64(n) {
		return nil, fmt.Errorf("%w: batch of %d acknowledged with count %d at sequence %d", jetstream.ErrInvalidJSAck, n, pa.Count, pa.Sequence)
	}
	acks := make([]Ack, n)
	for i := range acks {
		acks[i] = Ack{Stream: pa.Stream, Sequence: pa.Sequence - uint64(n-1-i)}
	}
	return acks, nil
}

// batchMsg is m with the batch's headers, m itself untouched.
func batchMsg(m *nats.Msg, id string, seq int, commit bool) *nats.Msg {
	hdr := make(nats.Header, len(m.Header)+3)
	for k, v := range m.Header {
		hdr[k] = v
	}
	hdr[HeaderBatchID] = []string{id}
	hdr[HeaderBatchSeq] = []string{strconv.Itoa(seq)}
	if commit {
		hdr[HeaderBatchCommit] = []string{"1"}
	}
	return &nats.Msg{Subject: m.Subject, Header: hdr, Data: m.Data}
}

// batchAck is JetStream's answer to an atomic batch's commit.
type batchAck struct {
	pubAck
	Batch string `json:"batch"`
	Count int    `json:"count"`
}
