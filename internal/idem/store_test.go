package idem

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestStoreRemembersAcrossReopen(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := DefaultStoreConfig()
	cfg.Horizon = time.Hour
	s, err := OpenStore(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { closeStore(t, s) })
	key := KeyFor("stripe", "evt_1")
	if _, found, err := s.Lookup(ctx, key); err != nil || found {
		t.Fatalf("lookup of a new key: found=%v err=%v", found, err)
	}
	rec := Record{Events: []Ref{{ID: "0196-a", Type: "event.a.b.c.d", IdempotencyKey: key.String()}}}
	if err := s.Remember(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	// Another replica, or the same after a restart: a new handle on the bucket.
	cfg.Horizon = 2 * time.Hour
	s2, err := OpenStore(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s2.Start()
	t.Cleanup(func() { closeStore(t, s2) })
	got, found, err := s2.Lookup(ctx, key)
	if err != nil || !found || len(got.Events) != 1 || got.Events[0] != rec.Events[0] {
		t.Fatalf("lookup: %+v found=%v err=%v", got, found, err)
	}
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil || st.TTL() != 2*time.Hour {
		t.Fatalf("bucket TTL = %v (%v), want the new horizon", st.TTL(), err)
	}
	// Reopening (CreateOrUpdateKeyValue leaves it out) keeps the bucket's
	// stream open to atomic batches, which Remember's Batcher uses.
	if bs, err := js.Stream(ctx, "KV_"+DefaultBucket); err != nil || !bs.CachedInfo().Config.AllowAtomicPublish {
		t.Fatalf("KV_%s allow_atomic: %v (%v), want true", DefaultBucket, err == nil && bs.CachedInfo().Config.AllowAtomicPublish, err)
	}

	srv.Stop(t)
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	if _, _, err := s2.Lookup(short, key); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lookup during an outage: %v, want ErrUnavailable", err)
	}
	srv.Restart(t)
	if _, found, err := s2.Lookup(ctx, key); err != nil || !found {
		t.Fatalf("lookup after the outage: found=%v err=%v", found, err)
	}
}

func TestStoreConfigValidate(t *testing.T) {
	err := StoreConfig{CacheKeys: -1}.Validate()
	for _, want := range []string{"empty name", "replicas must be between 1 and 5, got 0", "horizon must be > 0",
		"cache keys must be 0 (off) or more, got -1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	for _, keys := range []int{0, 10} {
		if err := (StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour, CacheKeys: keys}).Validate(); err != nil {
			t.Errorf("Validate() with CacheKeys %d = %v, want nil", keys, err)
		}
	}
}

// BenchmarkStoreLookupRemember is the store's part of a new delivery: a
// lookup that finds nothing, then the record.
func BenchmarkStoreLookupRemember(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	rec := Record{Events: []Ref{{ID: "01963467-9e5a-79778-db11-fb1f031fb3a", Type: "event.stripe.payments.charge.succeeded", IdempotencyKey: "x"}}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := KeyFor("bench", strconv.Itoa(i))
		i++
		if _, _, err := s.Lookup(ctx, key); err != nil {
			b.Fatal(err)
		}
		if err := s.Remember(ctx, key, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreLookupNew is the lookup of a key never recorded (keys
// derived beforehand).
func BenchmarkStoreLookupNew(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	keys := testKeys("bench-new", 1<<12)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		if _, found, err := s.Lookup(ctx, key); err != nil || found {
			b.Fatalf("lookup of a new key: found=%v err=%v", found, err)
		}
	}
}

// benchStore opens a store with its negative cache caught up.
func benchStore(b *testing.B) *Store {
	b.Helper()
	srv := natstest.Start(b)
	_, js := natstest.Connect(b, srv.URL())
	s := openTestStore(b, js, testConfig(), defaultTuning())
	waitReady(b, s)
	return s
}
