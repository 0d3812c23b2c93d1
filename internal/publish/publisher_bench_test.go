package publish

import (
	"bytes"
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPublish measures one synchronous Publish of a ~1 KiB event
// (headers as the pipeline sets them) to an embedded server, file store.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b, nil)
	data := bytes.Repeat([]byte("x"), 1024)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := event("event.stripe.payments.charge.succeeded", "", "0190b7a2-7c1e-7000-8000-000000000000", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.MsgID = strconv.Itoa(i)
		if _, err := e.pub.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishParallel measures Publish from 32 x GOMAXPROCS
// goroutines at once, as the webhook handlers call it under load: the
// cost per publish (CPU, allocations) when acknowledgements overlap. The
// server syncs every write (natstest's default, as the bridge's); batched
// publishes share atomic batches and their syncs, unbatched ones (NoBatch)
// are synced one by one.
func BenchmarkPublishParallel(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noBatch bool
	}{{"batched", false}, {"unbatched", true}} {
		b.Run(mode.name, func(b *testing.B) { benchmarkPublishParallel(b, mode.noBatch) })
	}
}

func benchmarkPublishParallel(b *testing.B, noBatch bool) {
	e := newEnv(b, func(c *Config) { c.NoBatch = noBatch })
	data := bytes.Repeat([]byte("x"), 1024)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		m := event("event.stripe.payments.charge.succeeded", "", "0190b7a2-7c1e-7000-8000-000000000000", data)
		for pb.Next() {
			m.MsgID = strconv.FormatInt(n.Add(1), 10)
			if _, err := e.pub.Publish(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
