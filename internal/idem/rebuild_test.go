package idem

import (
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestStoreCacheRebuildAnswersOnlyOnceCaughtUp: while a rebuilt filter is
// being fed, the old one answers; the new one answers only once it holds
// every key of the bucket. A lookup of a key the bucket holds is never
// answered "not found" from a filter still being fed, which would let a
// retry beyond the duplicate window be stored again.
func TestStoreCacheRebuildAnswersOnlyOnceCaughtUp(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	// 3,000 puts and 6,000 lookups under -race take over 20 s (testContext)
	// on a busy two-core machine; a lookup failing then is not a miss.
	ctx := natstest.Context(t, time.Minute)
	openTestStore(t, js, StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour, CacheKeys: 0}, testTuning())
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	// Enough keys that a watch takes a while to deliver them all.
	keys := testKeys("caught-up", 3000)
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(keys); i += 8 {
				if _, err := kv.Put(ctx, keys[i].String(), []byte(`{"events":[]}`)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// A rebuild is due every 20ms, fed each time by a watch of its own.
	tun := testTuning()
	tun.rebuildEvery = 20 * time.Millisecond
	s := openTestStore(t, js, testConfig(), tun)
	waitReady(t, s)
	// Look the keys up, the last put first (a watch delivers them last),
	// until three rebuilds are done.
	misses := 0
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; s.Stats().Rebuilds < 3; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("not three rebuilds: stats %+v", s.Stats())
		}
		k := keys[len(keys)-1-i%len(keys)]
		_, found, err := s.Lookup(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			misses++
		}
	}
	for i := range 2 * len(keys) {
		k := keys[len(keys)-1-i%len(keys)]
		_, found, err := s.Lookup(ctx, k)
		if err != nil {
			t.Fatalf("lookup %d of %s: %v", i, k, err)
		}
		if !found {
			misses++
		}
	}
	if misses > 0 {
		t.Fatalf("%d lookups of keys the bucket holds answered not found (stats %+v)", misses, s.Stats())
	}
}
