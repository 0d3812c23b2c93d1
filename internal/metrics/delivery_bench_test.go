package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkDeliveryMetrics measures what one delivery that stores one
// event updates: received, its publish, its outcome and duration.
func BenchmarkDeliveryMetrics(b *testing.B) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Received("stripe", "webhook")
			done := m.PublishStarted("stripe", "event.stripe.payments.charge.succeeded")
			done(true)
			m.Done("stripe", "webhook", "published", start)
		}
	})
}
