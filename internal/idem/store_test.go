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
	cfg := StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour}
	s, err := OpenStore(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
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
	err := StoreConfig{}.Validate()
	for _, want := range []string{"empty name", "replicas must be between 1 and 5, got 0", "horizon must be > 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
}

func BenchmarkStoreLookupRemember(b *testing.B) {
	srv := natstest.Start(b)
	_, js := natstest.Connect(b, srv.URL())
	ctx := context.Background()
	s, err := OpenStore(ctx, js, StoreConfig{Bucket: DefaultBucket, Replicas: 1, Horizon: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
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
