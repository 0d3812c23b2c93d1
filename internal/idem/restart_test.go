package idem

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// A watch that could not start while connected (here: the bucket was gone,
// so reading its state failed) is tried again, with backoff, until it
// starts: once the bucket is back the cache answers. Without the retry the
// store would ask the bucket for every lookup until the next reconnect.
func TestStoreCacheStartRetriedWhileConnected(t *testing.T) {
	srv := natstest.Start(t)
	nc, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	cfg := testConfig()
	s, err := openStore(ctx, js, cfg, testTuning())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(t, s) })
	if err := js.DeleteKeyValue(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	// Each attempt to start the watch first asks for the bucket's state.
	infos, err := nc.SubscribeSync("$JS.API.STREAM.INFO.KV_" + cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	s.Start()
	for range 2 { // two attempts, both refused: the bucket is gone
		if _, err := infos.NextMsg(10 * time.Second); err != nil {
			t.Fatalf("no attempt to start the watch: %v", err)
		}
	}
	if s.Ready() {
		t.Fatal("the cache answers without a bucket to watch")
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: cfg.Bucket, History: 1, TTL: cfg.Horizon, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s)
	k := KeyFor("retried", "1")
	if err := s.Remember(ctx, k, recordOf(k)); err != nil {
		t.Fatal(err)
	}
	expectFound(t, s, k)
	local := s.Stats().Local
	if _, found, err := s.Lookup(ctx, KeyFor("retried", "never")); err != nil || found || s.Stats().Local != local+1 {
		t.Fatalf("lookup of a new key once the watch started: found=%v err=%v stats %+v", found, err, s.Stats())
	}
}

// A resync (here after a reconnect) abandons a rebuild in progress: the
// rebuild's watch began before the reconnect and may have missed keys just
// as the current one may. The rebuild's watch is held unread (holdRebuilds)
// so that the rebuild is still in progress when the connection is lost; once
// resynced, the store no longer feeds the abandoned filter, and a later
// rebuild starts with a filter of its own.
func TestStoreCacheResyncAbandonsRebuild(t *testing.T) {
	srv := natstest.Start(t)
	nc, js := natstest.Connect(t, srv.URL())
	tun := testTuning()
	tun.rebuildEvery = time.Nanosecond // a rebuild at the first probe once in step
	tun.holdRebuilds = true
	s := openTestStore(t, js, testConfig(), tun)
	waitReady(t, s)
	var held *keyFilter
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		s.mu.Lock()
		held = s.next
		s.mu.Unlock()
		if held == nil {
			return errors.New("no rebuild in progress")
		}
		return nil
	})
	resyncs := s.Stats().Resyncs
	if err := nc.ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		s.mu.Lock()
		next := s.next
		s.mu.Unlock()
		if st := s.Stats(); st.Resyncs == resyncs || next == held {
			return fmt.Errorf("stats %+v: the rebuild in progress before the reconnect is still fed (resyncs before: %d)", st, resyncs)
		}
		return nil
	})
	waitReady(t, s)
	if st := s.Stats(); st.Rebuilds != 0 {
		t.Fatalf("stats %+v: a held rebuild replaced the filter", st)
	}
}

// A rebuild period of 0 (or below) means the horizon: without it the
// filter would be rebuilt at every probe.
func TestStoreRebuildPeriodDefaultsToHorizon(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	cfg := testConfig()
	for _, tc := range []struct {
		every, want time.Duration
	}{
		{0, cfg.Horizon},
		{-time.Second, cfg.Horizon},
		{time.Minute, time.Minute},
	} {
		tun := testTuning()
		tun.rebuildEvery = tc.every
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := openStore(ctx, js, cfg, tun)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got := s.syncer.tun.rebuildEvery; got != tc.want {
			t.Errorf("rebuild period %v: the store rebuilds every %v, want %v", tc.every, got, tc.want)
		}
	}
}

// The store's retries of the bucket back off: no wait is zero (a failing
// bucket is not hammered), and the waits grow up to the policy's maximum.
func TestStoreRetriesBackOff(t *testing.T) {
	bo := retryPolicy.Backoff()
	var last time.Duration
	for i := range 12 {
		last = bo.Next()
		if last <= 0 || last > retryPolicy.Max {
			t.Fatalf("wait %d: %v, want in (0, %v]", i+1, last, retryPolicy.Max)
		}
	}
	if last < retryPolicy.Max/2 {
		t.Fatalf("wait 12: %v, want the waits grown to the maximum (%v, equal jitter)", last, retryPolicy.Max)
	}
}
