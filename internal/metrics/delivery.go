package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// UnknownProvider is the provider label of a delivery for a provider no
// mapping file names: the label takes only the set's providers and this.
const UnknownProvider = "unknown"

// Delivery metrics: what came in, what became of it, how long it took.
// Every method is safe on a nil *Set (tests and tools run without).
type delivery struct {
	// Deliveries counts deliveries received, by provider and ingest kind.
	Deliveries *prometheus.CounterVec
	// Outcomes counts deliveries by their final outcome: published,
	// duplicate, dead_lettered, dropped, failed (not stored: retry), or
	// rejected (a 4xx before the pipeline).
	Outcomes *prometheus.CounterVec
	// Rejections counts deliveries refused before the pipeline, by reason:
	// method, content_type, too_large, invalid_body, unknown_provider,
	// signature_missing, signature_malformed, signature_expired, signature_mismatch.
	Rejections *prometheus.CounterVec
	// DeadLetters counts payloads stored in the dead letters, by reason.
	DeadLetters *prometheus.CounterVec
	// EventsPublished counts events stored (not duplicates), by type.
	EventsPublished *prometheus.CounterVec
	// DeliveryDuration is the time from receipt to verdict.
	DeliveryDuration *prometheus.HistogramVec
	// PublishDuration is the time of one event's JetStream publish, from
	// its entity's turn to the acknowledgement, retries included.
	PublishDuration prometheus.Histogram
	// PublishesInFlight is the publishes awaiting their acknowledgement.
	PublishesInFlight prometheus.Gauge

	// The children of the vectors above that each delivery updates, by
	// their label values: one lock-free lookup instead of prometheus
	// hashing and checking the values again on every call. The label
	// values are bounded (providers and event types of the mapping set),
	// and so are these.
	received  *children[[2]string, prometheus.Counter]
	outcomes  *children[[3]string, outcome]
	rejected  *children[[3]string, prometheus.Counter]
	published *children[[2]string, prometheus.Counter]
}

// outcome is the series a delivery's outcome counts in.
type outcome struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func newDelivery() delivery {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	d := delivery{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_deliveries_received_total",
			Help: "Deliveries received, by provider and ingest kind (webhook, nats, events).",
		}, []string{"provider", "ingest"}),
		Outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_deliveries_total",
			Help: "Deliveries by outcome: published, duplicate, dead_lettered, dropped, failed (not stored, the sender retries), rejected (4xx).",
		}, []string{"provider", "ingest", "outcome"}),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_rejections_total",
			Help: "Deliveries refused before mapping (4xx), by reason.",
		}, []string{"provider", "ingest", "reason"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_dead_letters_total",
			Help: "Payloads stored in the dead-letter stream, by reason.",
		}, []string{"provider", "ingest", "reason"}),
		EventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_events_published_total",
			Help: "Events stored in JetStream (duplicates not counted), by event type.",
		}, []string{"provider", "type"}),
		DeliveryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bridge_delivery_duration_seconds",
			Help:    "Time from receiving a delivery to its verdict, by ingest kind and outcome.",
			Buckets: buckets,
		}, []string{"ingest", "outcome"}),
		PublishDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_publish_duration_seconds",
			Help:    "Time of one event's JetStream publish until its acknowledgement, retries included.",
			Buckets: buckets,
		}),
		PublishesInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_publishes_in_flight",
			Help: "Publishes awaiting their JetStream acknowledgement.",
		}),
	}
	d.received = newChildren(func(l [2]string) prometheus.Counter { return d.Deliveries.WithLabelValues(l[:]...) })
	d.outcomes = newChildren(func(l [3]string) outcome {
		return outcome{d.Outcomes.WithLabelValues(l[:]...), d.DeliveryDuration.WithLabelValues(l[1], l[2])}
	})
	d.rejected = newChildren(func(l [3]string) prometheus.Counter { return d.Rejections.WithLabelValues(l[:]...) })
	d.published = newChildren(func(l [2]string) prometheus.Counter { return d.EventsPublished.WithLabelValues(l[:]...) })
	return d
}

// children looks up the child of a metric vector by its label values,
// made once by newChild and kept.
type children[K comparable, V any] struct {
	m        sync.Map // K -> V
	newChild func(K) V
}

func newChildren[K comparable, V any](newChild func(K) V) *children[K, V] {
	return &children[K, V]{newChild: newChild}
}

func (c *children[K, V]) get(labels K) V {
	if v, ok := c.m.Load(labels); ok {
		return v.(V)
	}
	v, _ := c.m.LoadOrStore(labels, c.newChild(labels))
	return v.(V)
}

func (d delivery) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.Deliveries, d.Outcomes, d.Rejections, d.DeadLetters, d.EventsPublished,
		d.DeliveryDuration, d.PublishDuration, d.PublishesInFlight}
}

// Received counts a delivery in.
func (m *Set) Received(provider, ingest string) {
	if m != nil {
		m.received.get([2]string{provider, ingest}).Inc()
	}
}

// Rejected counts a delivery refused before the pipeline, and its outcome.
func (m *Set) Rejected(provider, ingest, reason string, since time.Time) {
	if m != nil {
		m.rejected.get([3]string{provider, ingest, reason}).Inc()
		m.Done(provider, ingest, "rejected", since)
	}
}

// Done counts a delivery's outcome and how long it took.
func (m *Set) Done(provider, ingest, outcome string, since time.Time) {
	if m != nil {
		o := m.outcomes.get([3]string{provider, ingest, outcome})
		o.count.Inc()
		o.duration.Observe(time.Since(since).Seconds())
	}
}

// DeadLettered counts a dead letter stored.
func (m *Set) DeadLettered(provider, ingest, reason string) {
	if m != nil {
		m.DeadLetters.WithLabelValues(provider, ingest, reason).Inc()
	}
}

// PublishStarted marks a publish in flight; call the returned func with
// whether a new event was stored (not a duplicate) once it is acknowledged
// or has failed.
func (m *Set) PublishStarted(provider, typ string) func(stored bool) {
	if m == nil {
		return func(bool) {}
	}
	start := time.Now()
	m.PublishesInFlight.Inc()
	return func(stored bool) {
		m.PublishesInFlight.Dec()
		m.PublishDuration.Observe(time.Since(start).Seconds())
		if stored {
			m.published.get([2]string{provider, typ}).Inc()
		}
	}
}
