package subscriber_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// BenchmarkRun measures events handled per second through the whole kit
// (decode, profile, key check, handler, record, confirmed ack) with a
// handler that does nothing, over 64 entities, against an embedded
// JetStream with file storage.
func BenchmarkRun(b *testing.B) {
	srv := natstest.Start(b)
	_, js := natstest.Connect(b, srv.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstreamEvents()); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		e := newEvent(i%64, i/64)
		msg := &nats.Msg{Subject: e.Type, Header: nats.Header{"Content-Type": {"application/cloudevents+json"}}, Data: e.json()}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 || i == b.N-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("publishing did not complete")
			}
		}
	}
	var handled atomic.Int64
	b.ResetTimer()
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- subscriber.Run(runCtx, js, subscriber.Config{Name: "bench", Logger: discard()},
			func(context.Context, event.Event) error { handled.Add(1); return nil })
	}()
	natstest.CheckFor(b, 5*time.Minute, time.Millisecond, func() error {
		if n := handled.Load(); n < int64(b.N) {
			return fmt.Errorf("handled %d of %d", n, b.N)
		}
		return nil
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.StopTimer()
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
