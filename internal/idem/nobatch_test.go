package idem

import (
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// NoBatch stores each record with a request of its own: remembered all the
// same, found by another store of the bucket.
func TestStoreNoBatch(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := testContext(t)
	s := openTestStore(t, js, StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour, CacheKeys: 0, NoBatch: true}, testTuning())
	if s.batch != nil {
		t.Fatal("NoBatch: the store batches its records")
	}
	keys := testKeys("nobatch", 3)
	for _, k := range keys {
		if err := s.Remember(ctx, k, recordOf(k)); err != nil {
			t.Fatal(err)
		}
	}
	other := openTestStore(t, js, testConfig(), testTuning())
	for _, k := range keys {
		expectFound(t, s, k)
		expectFound(t, other, k)
	}
}
