package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// UnknownProvider is the provider label of a delivery for a provider no
// mapping file names: the label takes only the set's providers and this.
const UnknownProvider = "unknown"

// Delivery metrics: what came in, what became of it, how long it took.
// Every method is safe on a nil *Metrics (tests and tools run without).
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
}

func newDelivery() delivery {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	return delivery{
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
}

func (d delivery) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.Deliveries, d.Outcomes, d.Rejections, d.DeadLetters, d.EventsPublished,
		d.DeliveryDuration, d.PublishDuration, d.PublishesInFlight}
}

// Received counts a delivery in.
func (m *Metrics) Received(provider, ingest string) {
	if m != nil {
		m.Deliveries.WithLabelValues(provider, ingest).Inc()
	}
}

// Rejected counts a delivery refused before the pipeline, and its outcome.
func (m *Metrics) Rejected(provider, ingest, reason string, since time.Time) {
	if m != nil {
		m.Rejections.WithLabelValues(provider, ingest, reason).Inc()
		m.Done(provider, ingest, "rejected", since)
	}
}

// Done counts a delivery's outcome and how long it took.
func (m *Metrics) Done(provider, ingest, outcome string, since time.Time) {
	if m != nil {
		m.Outcomes.WithLabelValues(provider, ingest, outcome).Inc()
		m.DeliveryDuration.WithLabelValues(ingest, outcome).Observe(time.Since(since).Seconds())
	}
}

// DeadLettered counts a dead letter stored.
func (m *Metrics) DeadLettered(provider, ingest, reason string) {
	if m != nil {
		m.DeadLetters.WithLabelValues(provider, ingest, reason).Inc()
	}
}

// PublishStarted marks a publish in flight; call the returned func with
// whether a new event was stored (not a duplicate) once it is acknowledged
// or has failed.
func (m *Metrics) PublishStarted(provider, typ string) func(stored bool) {
	if m == nil {
		return func(bool) {}
	}
	start := time.Now()
	m.PublishesInFlight.Inc()
	return func(stored bool) {
		m.PublishesInFlight.Dec()
		m.PublishDuration.Observe(time.Since(start).Seconds())
		if stored {
			m.EventsPublished.WithLabelValues(provider, typ).Inc()
		}
	}
}
