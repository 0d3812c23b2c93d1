package idem

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestStoreCacheHoldsInitialValues(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	// Keys recorded before the store opens, by a replica without the cache.
	cfg := testConfig()
	cfg.CacheKeys = 0
	w := openTestStore(t, js, cfg, testTuning())
	keys := testKeys("initial", 20)
	for _, k := range keys {
		if err := w.Remember(ctx, k, recordOf(k)); err != nil {
			t.Fatal(err)
		}
	}
	if w.Ready() {
		t.Fatal("a store with the cache off says its cache is ready")
	}

	s := openTestStore(t, js, testConfig(), testTuning())
	waitReady(t, s)
	for _, k := range keys {
		expectFound(t, s, k)
	}
	if got := s.Stats().KVGets; got < uint64(len(keys)) {
		t.Errorf("KV gets = %d, want at least %d: keys the filter holds are looked up in the bucket", got, len(keys))
	}
}

func TestStoreCacheAnswersNewKeysLocally(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	s := openTestStore(t, js, testConfig(), testTuning())
	waitReady(t, s)

	before := s.Stats()
	fresh := testKeys("never-seen", 100)
	for _, k := range fresh {
		if _, found, err := s.Lookup(ctx, k); err != nil || found {
			t.Fatalf("lookup of %s: found=%v err=%v", k, found, err)
		}
	}
	after := s.Stats()
	if after.KVGets != before.KVGets || after.Local-before.Local != uint64(len(fresh)) {
		t.Fatalf("stats %+v -> %+v: want %d lookups answered locally and no KV get", before, after, len(fresh))
	}

	// Remember puts the key in the filter itself: found at once, through
	// the bucket.
	k := fresh[0]
	if err := s.Remember(ctx, k, recordOf(k)); err != nil {
		t.Fatal(err)
	}
	expectFound(t, s, k)
	if got := s.Stats().KVGets; got != after.KVGets+1 {
		t.Fatalf("KV gets = %d, want %d", got, after.KVGets+1)
	}
}

func TestStoreCacheSeesAnotherReplica(t *testing.T) {
	srv := natstest.Start(t)
	_, jsA := natstest.Connect(t, srv.URL())
	_, jsB := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	a := openTestStore(t, jsA, testConfig(), testTuning())
	waitReady(t, a)
	hold := make(chan struct{})
	tun := testTuning()
	tun.hold = hold // b's watch starts when the test says
	b := openTestStore(t, jsB, testConfig(), tun)

	k1 := KeyFor("replica", "1")
	if err := a.Remember(ctx, k1, recordOf(k1)); err != nil {
		t.Fatal(err)
	}
	// Before its watch has caught up, b asks the bucket for every key.
	expectFound(t, b, k1)
	if _, found, err := b.Lookup(ctx, KeyFor("replica", "never")); err != nil || found {
		t.Fatalf("lookup of a new key: found=%v err=%v", found, err)
	}
	if st := b.Stats(); b.Ready() || st.KVGets != 2 || st.Local != 0 {
		t.Fatalf("before its watch: ready=%v stats=%+v, want 2 KV gets", b.Ready(), st)
	}

	close(hold)
	waitReady(t, b)
	expectFound(t, b, k1)

	// A key a records now reaches b's filter within the watch's lag; until
	// then b answers "not found", which the stream's duplicate window covers.
	k2 := KeyFor("replica", "2")
	if err := a.Remember(ctx, k2, recordOf(k2)); err != nil {
		t.Fatal(err)
	}
	waitFound(t, b, k2)
	expectFound(t, b, k2)
}

func TestStoreCacheRebuildsBeyondCapacity(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	if _, err := OpenStore(ctx, js, StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour, CacheKeys: 0}); err != nil {
		t.Fatal(err) // the bucket, and the connection's request plumbing, exist before the count
	}
	baseline := len(cacheGoroutines())

	cfg := testConfig()
	cfg.CacheKeys = 8
	s := openTestStore(t, js, cfg, testTuning())
	waitReady(t, s)

	// Record 40 keys from 4 goroutines while another looks them up.
	keys := testKeys("rebuild", 40)
	var wg sync.WaitGroup
	errs := make(chan error, len(keys)+1)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(keys); i += 4 {
				if err := s.Remember(ctx, keys[i], recordOf(keys[i])); err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	var looker sync.WaitGroup
	looker.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if _, _, err := s.Lookup(ctx, keys[i%len(keys)]); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(done)
	looker.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		s.mu.Lock()
		settled := s.next == nil && !s.cur.full()
		s.mu.Unlock()
		if st := s.Stats(); st.Rebuilds == 0 || !settled || !s.Ready() {
			return fmt.Errorf("no rebuild settled: stats %+v, ready %v", st, s.Ready())
		}
		return nil
	})
	for _, k := range keys {
		expectFound(t, s, k)
	}
	s.mu.Lock()
	capacity := s.cur.capacity
	s.mu.Unlock()
	if capacity < uint(len(keys)) {
		t.Errorf("rebuilt filter sized for %d keys, want at least the %d in the bucket", capacity, len(keys))
	}

	if open := len(cacheGoroutines()); open <= baseline {
		t.Fatalf("the leak check sees %d goroutines of the open cache, %d before: it would see no leak", open, baseline)
	}
	closeStore(t, s)
	if s.Ready() {
		t.Error("a closed store's cache says it is ready")
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if left := cacheGoroutines(); len(left) > baseline {
			return fmt.Errorf("%d goroutines of the cache left after Close, %d before it opened:\n%s",
				len(left), baseline, strings.Join(left, "\n\n"))
		}
		return nil
	})
}

func TestStoreCacheRebuildForgetsDeletedKeys(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	tun := testTuning()
	tun.rebuildEvery = time.Millisecond // a rebuild at every probe
	s := openTestStore(t, js, testConfig(), tun)
	waitReady(t, s)
	keys := testKeys("expiring", 20)
	for _, k := range keys {
		if err := s.Remember(ctx, k, recordOf(k)); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	gone, kept := keys[:5], keys[5:]
	for _, k := range gone {
		if err := kv.Delete(ctx, k.String()); err != nil {
			t.Fatal(err)
		}
	}
	// A rebuild that began after the deletes has replaced the filter once
	// two more have.
	r := s.Stats().Rebuilds
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if st := s.Stats(); st.Rebuilds < r+2 || !s.Ready() {
			return fmt.Errorf("waiting for two rebuilds after %d: stats %+v, ready %v", r, st, s.Ready())
		}
		return nil
	})
	f := s.answer.Load()
	if f == nil {
		t.Fatal("no filter answers after the rebuilds")
	}
	for _, k := range gone {
		if f.mayHold(k) {
			t.Errorf("the rebuilt filter still holds deleted key %s", k)
		}
	}
	for _, k := range kept {
		expectFound(t, s, k)
	}
}

func TestStoreCacheSurvivesServerRestart(t *testing.T) {
	srv := natstest.Start(t)
	_, jsA := natstest.Connect(t, srv.URL())
	_, jsB := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	a := openTestStore(t, jsA, testConfig(), testTuning())
	b := openTestStore(t, jsB, testConfig(), testTuning())
	waitReady(t, a)
	waitReady(t, b)
	k1 := KeyFor("restart", "1")
	if err := a.Remember(ctx, k1, recordOf(k1)); err != nil {
		t.Fatal(err)
	}
	waitFound(t, b, k1)

	srv.Stop(t)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if b.Ready() {
			return errors.New("the cache still answers while the server is down")
		}
		return nil
	})
	// Down, even a key never seen is asked of the bucket: no answer.
	for _, k := range []uuid.UUID{k1, KeyFor("restart", "never")} {
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, found, err := b.Lookup(short, k)
		cancel()
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("lookup of %s during the outage: found=%v err=%v, want ErrUnavailable", k, found, err)
		}
	}

	srv.Restart(t)
	expectFound(t, b, k1) // retried until the connection is back
	k2 := KeyFor("restart", "2")
	if err := a.Remember(ctx, k2, recordOf(k2)); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if _, found, err := b.Lookup(ctx, k2); err != nil || !found || !b.Ready() {
			return fmt.Errorf("after the restart: b's lookup of a's new key found=%v err=%v, ready %v", found, err, b.Ready())
		}
		return nil
	})
	if st := b.Stats(); st.Resyncs == 0 {
		t.Errorf("stats %+v: want a resync after the restart", st)
	}
	// And the cache answers new keys locally again.
	local := b.Stats().Local
	if _, found, err := b.Lookup(ctx, KeyFor("restart", "never")); err != nil || found || b.Stats().Local != local+1 {
		t.Fatalf("lookup of a new key after the restart: found=%v err=%v stats %+v", found, err, b.Stats())
	}
}

func TestStoreClose(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	s := openTestStore(t, js, testConfig(), testTuning())
	waitReady(t, s)
	k := KeyFor("close", "1")
	if err := s.Remember(ctx, k, recordOf(k)); err != nil {
		t.Fatal(err)
	}
	closeStore(t, s)
	closeStore(t, s) // twice is fine
	if s.Ready() {
		t.Fatal("ready after Close")
	}
	// Closed, the store still answers, through the bucket.
	expectFound(t, s, k)
	gets := s.Stats().KVGets
	if _, found, err := s.Lookup(ctx, KeyFor("close", "never")); err != nil || found || s.Stats().KVGets != gets+1 {
		t.Fatalf("lookup of a new key after Close: found=%v err=%v stats %+v", found, err, s.Stats())
	}
}

// OpenStore starts no goroutine: Start starts the cache's, once however
// often it is called, and Close, before or after Start, waits for them.
func TestStoreStartAndClose(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	// The bucket, and the connection's request plumbing, exist before the count.
	if _, err := OpenStore(ctx, js, StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour, CacheKeys: 0}); err != nil {
		t.Fatal(err)
	}
	baseline := len(cacheGoroutines())
	s, err := openStore(ctx, js, testConfig(), testTuning())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cacheGoroutines()); n != baseline {
		t.Fatalf("OpenStore started %d goroutines", n-baseline)
	}
	s.Start()
	s.Start() // twice is fine
	waitReady(t, s)
	closeStore(t, s)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if left := cacheGoroutines(); len(left) > baseline {
			return fmt.Errorf("%d goroutines left after Close:\n%s", len(left)-baseline, strings.Join(left, "\n\n"))
		}
		return nil
	})
	s.Start() // after Close: nothing
	if n := len(cacheGoroutines()); n > baseline || s.Ready() {
		t.Fatalf("Start after Close started %d goroutines (ready %v)", n-baseline, s.Ready())
	}

	unstarted, err := openStore(ctx, js, testConfig(), testTuning())
	if err != nil {
		t.Fatal(err)
	}
	closeStore(t, unstarted) // Close before Start returns at once
	unstarted.Start()
	if unstarted.Ready() || len(cacheGoroutines()) > baseline {
		t.Fatal("Start after Close started the cache")
	}
}

func TestStoreWithoutWatchPermission(t *testing.T) {
	// A user who may use the bucket, as docs/security.md allowed before the
	// cache, but not create consumers on it.
	url := runNATS(t, &server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		Users: []*server.User{{Username: "bridge", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{
				"$KV.bridge_idem.>", "$JS.API.INFO", "$JS.API.STREAM.CREATE.KV_bridge_idem",
				"$JS.API.STREAM.UPDATE.KV_bridge_idem", "$JS.API.STREAM.INFO.KV_bridge_idem",
				"$JS.API.DIRECT.GET.KV_bridge_idem.>",
			}},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
		}}},
	})
	nc, js := natstest.Connect(t, url, nats.UserInfo("bridge", "pw"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	ctx := testContext(t)
	s := openTestStore(t, js, testConfig(), testTuning())
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if err := nc.LastError(); !errors.Is(err, nats.ErrPermissionViolation) {
			return fmt.Errorf("the watch was not refused yet (last error %v)", err)
		}
		return nil
	})
	// Without its cache the store answers as it did before it had one.
	k := KeyFor("denied", "1")
	if err := s.Remember(ctx, k, recordOf(k)); err != nil {
		t.Fatal(err)
	}
	expectFound(t, s, k)
	if _, found, err := s.Lookup(ctx, KeyFor("denied", "never")); err != nil || found {
		t.Fatalf("lookup of a new key: found=%v err=%v", found, err)
	}
	if st := s.Stats(); s.Ready() || st.Local != 0 || st.KVGets != 2 {
		t.Fatalf("ready=%v stats %+v: want every lookup asked of the bucket", s.Ready(), st)
	}
}

func runNATS(t *testing.T, opts *server.Options) string { return natstest.Run(t, opts) }

func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	natstest.CheckFor(t, total, every, f)
}

func testConfig() StoreConfig {
	cfg := DefaultStoreConfig()
	cfg.Horizon = time.Hour
	return cfg
}

// testTuning probes often, so that rebuilds are not waited for.
func testTuning() tuning {
	tun := defaultTuning()
	tun.probeEvery = 10 * time.Millisecond
	tun.restartMax = 200 * time.Millisecond
	return tun
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openTestStore opens and starts a store closed at cleanup.
func openTestStore(t testing.TB, js jetstream.JetStream, cfg StoreConfig, tun tuning) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := openStore(ctx, js, cfg, tun)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { closeStore(t, s) })
	return s
}

func closeStore(t testing.TB, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Error(err)
	}
}

func waitReady(t testing.TB, s *Store) {
	t.Helper()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if !s.Ready() {
			return errors.New("the negative cache has not caught up with the bucket")
		}
		return nil
	})
}

func testKeys(prefix string, n int) []uuid.UUID {
	keys := make([]uuid.UUID, n)
	for i := range keys {
		keys[i] = KeyFor(prefix, strconv.Itoa(i))
	}
	return keys
}

func recordOf(k uuid.UUID) Record {
	return Record{Events: []Ref{{ID: "id-" + k.String(), Type: "event.test.a.b.c", IdempotencyKey: k.String()}}}
}

func expectFound(t testing.TB, s *Store, k uuid.UUID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, found, err := s.Lookup(ctx, k)
	if err != nil || !found || len(rec.Events) != 1 || rec.Events[0] != recordOf(k).Events[0] {
		t.Fatalf("lookup of %s: %+v found=%v err=%v", k, rec, found, err)
	}
}

// waitFound waits until s finds k: a key recorded by another store reaches
// s's filter within the watch's lag.
func waitFound(t testing.TB, s *Store, k uuid.UUID) {
	t.Helper()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, found, err := s.Lookup(ctx, k); err != nil || !found {
			return fmt.Errorf("lookup of %s: found=%v err=%v", k, found, err)
		}
		return nil
	})
}

// cacheGoroutines returns the stacks of the goroutines that a store's cache
// runs or makes nats.go run: its own, and those of its subscriptions.
func cacheGoroutines() []string {
	return natstest.Goroutines("idem.(*syncer)", "idem.(*Store).Start", "nats.go.(*Conn).waitForMsgs", "nats.go.(*js).subscribe")
}
