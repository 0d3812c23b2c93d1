package idem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The negative cache's watch, and what nats.go's KV watcher does that it
// has to deal with (nats.go v1.55):
//
//   - The watcher is an ordered push consumer. It sends a nil entry once it
//     has delivered the last value of every key the bucket held when it
//     began, and never again.
//   - On a reconnect it does not start over. Its consumer (ephemeral, in
//     memory) is gone after a server restart; every 10 s it checks for the
//     idle heartbeats (5 s) and, missing them, recreates the consumer after
//     the last sequence it delivered, silently, with no new nil marker
//     (about 20 s after a restart when tried). Until then keys put by other
//     replicas do not arrive. So the store stops answering from
//     the filter at a disconnect and, once connected again, replaces the
//     watch with one resuming after the last revision it had, answering
//     again at that watch's nil marker.
//   - If it cannot recreate its consumer (the bucket is gone) it closes its
//     channel, as it does when the connection closes: the watch is started
//     again, with backoff, and lookups ask the bucket meanwhile.
//   - Deletes and purges arrive as entries (KeyValueDelete, KeyValuePurge);
//     a Bloom filter cannot forget, so they only advance the revision.
//   - Keys that expire with the bucket's TTL (MaxAge) leave no trace in the
//     watch: the bucket sets no limit markers. Hence the rebuilds.
//   - Its callback blocks on the entries channel (256), holding up the
//     subscription: a stopped watch's channel is read to its end, which
//     nats.go closes once the subscription has ended.
//   - Its context is the subscription's lifetime (cancelling it
//     unsubscribes); creating the consumer is bounded by the JetStream
//     context's request timeout (5 s) when the context has no deadline.

// tuning holds the negative cache's internal settings; tests shorten them.
type tuning struct {
	falsePositive float64       // the filter's false-positive rate at its capacity
	probeEvery    time.Duration // how often the watch is checked against the bucket and for a rebuild
	// maxLag is how long the watch may stay behind a sequence the bucket
	// had before lookups go to the bucket again and the watch is restarted.
	// It must stay well under the events stream's duplicate window
	// (default 2m), which covers the watch's lag.
	maxLag       time.Duration
	rebuildEvery time.Duration // rebuild at least this often; 0: the horizon
	restartMin   time.Duration // backoff between attempts to start a watch
	restartMax   time.Duration
	// deniedRetry is the wait before another attempt when the NATS user may
	// not watch the bucket (OpenStore's doc lists the permissions): the
	// store works without its cache meanwhile, and nats.go reports each
	// refusal to the connection's error handler.
	deniedRetry time.Duration
	hold        <-chan struct{} // if set, the first watch starts once it is closed
	// holdRebuilds (tests only) leaves a rebuild's watch unread, so the
	// rebuild stays in progress until it is abandoned.
	holdRebuilds bool
}

func defaultTuning() tuning {
	return tuning{falsePositive: 0.01, probeEvery: 5 * time.Second, maxLag: 20 * time.Second,
		restartMin: 50 * time.Millisecond, restartMax: 5 * time.Second, deniedRetry: 5 * time.Minute}
}

// watch is one KV watcher feeding one filter.
type watch struct {
	kw         jetstream.KeyWatcher
	cancel     context.CancelFunc
	filter     *keyFilter
	floor      uint64 // the bucket's last sequence just before the watch began
	rev        uint64 // the highest revision delivered (at least floor once synced)
	synced     bool   // the nil marker came: filter holds every key up to rev
	reconnects uint64 // the connection's reconnect count when the watch began
}

// apply takes one entry of the watch.
func (w *watch) apply(e jetstream.KeyValueEntry) {
	if e == nil {
		w.synced, w.rev = true, max(w.rev, w.floor)
		return
	}
	w.rev = max(w.rev, e.Revision())
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	// Other keys than the store's UUIDs are never looked up.
	if k, err := uuid.Parse(e.Key()); err == nil {
		w.filter.add(k)
	}
}

// syncer keeps the store's filters in step with the bucket. Only its own
// goroutine (run) touches its fields.
type syncer struct {
	s    *Store
	tun  tuning
	keys uint // the capacity of a filter, at least

	cur  *watch // feeds s.cur; nil while being restarted
	next *watch // a rebuild in progress, feeding s.next
	// resumeFrom is the revision up to which s.cur holds every key, taken
	// from a watch that had caught up when it was stopped; 0: none.
	resumeFrom uint64
	lag        struct {
		seq   uint64    // a sequence the bucket had and the watch had not reached
		since time.Time // when; zero: the watch is in step
	}
	backoff      *retry.Backoff // nil: none drawn since the last success
	rebuildAfter time.Time      // no rebuild before, after one failed
	drains       sync.WaitGroup
}

// run keeps the filters in step until ctx ends or the connection closes.
func (y *syncer) run(ctx context.Context) {
	nc := y.s.nc
	status := nc.StatusChanged(nats.DISCONNECTED, nats.RECONNECTING, nats.CONNECTED, nats.CLOSED)
	defer func() {
		nc.RemoveStatusListener(status)
		y.s.answer.Store(nil)
		y.stop(y.cur)
		y.stop(y.next)
		y.drains.Wait()
	}()
	if y.tun.hold != nil {
		select {
		case <-y.tun.hold:
		case <-ctx.Done():
			return
		}
	}
	tick := time.NewTicker(y.tun.probeEvery)
	defer tick.Stop()
	restart := time.NewTimer(0)
	defer restart.Stop()
	for {
		var curC, nextC <-chan jetstream.KeyValueEntry
		if y.cur != nil {
			curC = y.cur.kw.Updates()
		}
		if y.next != nil && !y.tun.holdRebuilds {
			nextC = y.next.kw.Updates()
		}
		select {
		case <-ctx.Done():
			return
		case st, ok := <-status:
			switch {
			case !ok || st == nats.CLOSED:
				return
			case st != nats.CONNECTED:
				// What the watch misses meanwhile is known only once a
				// new watch has caught up.
				y.s.answer.Store(nil)
			case y.cur == nil:
				restart.Reset(0)
			default: // reconnected: the watch may have missed keys
				y.resync(restart, 0)
			}
		case e, ok := <-curC:
			if !ok {
				// The watch ended by itself: its consumer could not be
				// recreated, or the connection closed.
				if nc.IsClosed() {
					return
				}
				y.resync(restart, y.nextBackoff())
				continue
			}
			y.cur.apply(e)
			if e == nil {
				y.inStep(restart)
			}
		case e, ok := <-nextC:
			if !ok {
				y.abandonRebuild()
				y.rebuildAfter = time.Now().Add(y.tun.restartMax)
				continue
			}
			y.next.apply(e)
			if e == nil {
				y.swap(restart)
			}
		case <-restart.C:
			switch {
			case nc.IsClosed():
				return
			case y.cur != nil:
			case nc.Status() != nats.CONNECTED:
				restart.Reset(y.nextBackoff())
			default:
				if err := y.start(ctx); err != nil {
					restart.Reset(y.retryAfter())
				}
			}
		case <-tick.C:
			y.probe(ctx, restart)
		}
	}
}

// start begins the watch feeding s.cur: after resumeFrom when the filter
// holds every key up to it, else over every key of the bucket.
func (y *syncer) start(ctx context.Context) error {
	reconnects := y.s.nc.Stats().Reconnects
	last, keys, err := y.bucketState(ctx)
	if err != nil {
		return err
	}
	y.s.mu.Lock()
	f := y.s.cur
	y.s.mu.Unlock()
	var opts []jetstream.WatchOpt
	switch {
	case f == nil || last < y.resumeFrom: // no filter yet, or the bucket was made anew
		f, y.resumeFrom = y.newFilter(keys), 0
	case y.resumeFrom > 0:
		opts = append(opts, jetstream.ResumeFromRevision(y.resumeFrom+1))
	}
	w, err := y.watch(ctx, f, last, reconnects, opts...)
	if err != nil {
		return err
	}
	w.rev = y.resumeFrom
	y.s.mu.Lock()
	y.s.cur = f
	y.s.mu.Unlock()
	y.cur = w
	return nil
}

// watch starts a watcher of every key of the bucket, metadata only, into f.
func (y *syncer) watch(ctx context.Context, f *keyFilter, floor, reconnects uint64, opts ...jetstream.WatchOpt) (*watch, error) {
	wctx, cancel := context.WithCancel(ctx)
	kw, err := y.s.kv.WatchAll(wctx, append(opts, jetstream.MetaOnly())...)
	if err != nil {
		cancel()
		return nil, err
	}
	return &watch{kw: kw, cancel: cancel, filter: f, floor: floor, reconnects: reconnects}, nil
}

// inStep lets the caught-up watch's filter answer lookups, unless the
// connection was lost while it caught up.
func (y *syncer) inStep(restart *time.Timer) {
	nc := y.s.nc
	switch {
	case nc.Status() != nats.CONNECTED:
		// The CONNECTED event restarts the watch.
	case nc.Stats().Reconnects != y.cur.reconnects:
		y.resync(restart, 0)
	default:
		y.backoff = nil // from the first wait again
		y.lag.since = time.Time{}
		y.s.answer.Store(y.cur.filter)
	}
}

// resync stops the watch, and any rebuild, and starts the watch again after
// wait; lookups ask the bucket until it has caught up.
func (y *syncer) resync(restart *time.Timer, wait time.Duration) {
	y.s.answer.Store(nil)
	y.s.resyncs.Add(1)
	if w := y.cur; w != nil {
		if w.synced {
			y.resumeFrom = w.rev
		}
		y.stop(w)
		y.cur = nil
	}
	y.abandonRebuild()
	y.lag.since = time.Time{}
	restart.Reset(wait)
}

// probe checks the watch against the bucket: a reconnect the status events
// did not tell, a watch that has not reached a sequence the bucket had
// maxLag ago, a filter due for a rebuild.
func (y *syncer) probe(ctx context.Context, restart *time.Timer) {
	w, nc := y.cur, y.s.nc
	if w == nil || !w.synced || nc.Status() != nats.CONNECTED {
		return
	}
	if nc.Stats().Reconnects != w.reconnects {
		y.resync(restart, 0)
		return
	}
	last, keys, err := y.bucketState(ctx)
	if err != nil {
		return // the bucket does not answer: nothing is put in it either
	}
	switch {
	case last < w.rev: // the bucket was made anew
		y.resync(restart, 0)
		return
	case w.rev >= last:
		y.lag.since = time.Time{}
	case y.lag.since.IsZero() || w.rev >= y.lag.seq:
		y.lag.seq, y.lag.since = last, time.Now()
	case time.Since(y.lag.since) > y.tun.maxLag:
		y.resync(restart, 0)
		return
	}
	y.maybeRebuild(ctx, last, keys)
}

// maybeRebuild starts a new filter, fed by a watch of its own, when the
// current one holds more keys than it is sized for or is older than
// rebuildEvery; the current one answers until the new one has caught up.
// last and keys are the bucket's last sequence and message count.
func (y *syncer) maybeRebuild(ctx context.Context, last, keys uint64) {
	f := y.cur.filter
	if y.next != nil || time.Now().Before(y.rebuildAfter) || (!f.full() && time.Since(f.born) < y.tun.rebuildEvery) {
		return
	}
	nf := y.newFilter(keys)
	w, err := y.watch(ctx, nf, last, y.cur.reconnects)
	if err != nil {
		y.rebuildAfter = time.Now().Add(max(y.retryAfter(), y.tun.restartMax))
		return
	}
	y.next = w
	y.s.mu.Lock()
	y.s.next = nf
	y.s.mu.Unlock()
}

// swap puts the rebuilt filter, now caught up, in place of the current one.
func (y *syncer) swap(restart *time.Timer) {
	old := y.cur
	y.s.mu.Lock()
	y.s.cur, y.s.next = y.next.filter, nil
	y.s.mu.Unlock()
	y.cur, y.next = y.next, nil
	y.stop(old)
	y.s.rebuilds.Add(1)
	y.inStep(restart)
}

func (y *syncer) abandonRebuild() {
	if y.next == nil {
		return
	}
	y.stop(y.next)
	y.next = nil
	y.s.mu.Lock()
	y.s.next = nil
	y.s.mu.Unlock()
}

// stop ends a watch. Its callback may be blocked on the entries channel,
// which nats.go closes once the subscription has ended: the channel is read
// to its end so that nothing is left behind.
func (y *syncer) stop(w *watch) {
	if w == nil {
		return
	}
	w.cancel()
	y.drains.Go(func() {
		for range w.kw.Updates() {
		}
	})
}

// newFilter sizes a filter for the configured keys, or twice the keys the
// bucket holds when they are more, so a rebuild is not due at once.
func (y *syncer) newFilter(keys uint64) *keyFilter {
	return newKeyFilter(max(y.keys, uint(2*keys)), y.tun.falsePositive)
}

// bucketState returns the bucket's last sequence and how many messages it
// holds.
func (y *syncer) bucketState(ctx context.Context) (last, msgs uint64, err error) {
	ctx, cancel := context.WithTimeout(ctx, defaultAttemptTimeout)
	defer cancel()
	st, err := y.s.kv.Status(ctx)
	if err != nil {
		return 0, 0, err
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, 0, fmt.Errorf("idempotency bucket status: unexpected %T", st)
	}
	info := bs.StreamInfo()
	return info.State.LastSeq, info.State.Msgs, nil
}

// retryAfter is the wait before another attempt to start a watch that
// failed: long when the server refused it for want of permissions (the
// request then goes unanswered and the refusal is the connection's last
// error), else the next backoff.
func (y *syncer) retryAfter() time.Duration {
	err := y.s.nc.LastError()
	if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), "KV_"+y.s.kv.Bucket()) {
		return y.tun.deniedRetry
	}
	return y.nextBackoff()
}

func (y *syncer) nextBackoff() time.Duration {
	if y.backoff == nil {
		y.backoff = retry.Policy{Initial: y.tun.restartMin, Max: y.tun.restartMax, Jitter: retry.Equal}.Backoff()
	}
	return y.backoff.Next()
}
