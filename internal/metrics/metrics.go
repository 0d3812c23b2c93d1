package metrics

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Values of the result label: a label takes only the values named here, so
// every series exists from the start and their number stays bounded.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Set is the bridge's own metrics. To add one: a field here, its
// construction and registration in New.
type Set struct {
	// MappingReloads counts reloads of the mapping set (SIGHUP or a changed
	// file, not the load at start) by result: success or failure.
	MappingReloads *prometheus.CounterVec
	// MappingLastReloadSuccess is the Unix time, in seconds, at which the
	// running mapping set was loaded (at start or by the last successful
	// reload).
	MappingLastReloadSuccess prometheus.Gauge
	// MappingProviders is the number of providers in the running mapping set.
	MappingProviders prometheus.Gauge
	// BuildInfo is 1, labelled with the running binary's version, commit
	// and Go version.
	BuildInfo *prometheus.GaugeVec

	delivery
}

// New builds the bridge's metrics and registers them, with the Go runtime
// and process collectors, on reg.
func New(reg prometheus.Registerer) (*Set, error) {
	m := &Set{
		MappingReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mapping_reloads_total",
			Help: "Reloads of the mapping set (SIGHUP or a changed mapping file), by result.",
		}, []string{"result"}),
		MappingLastReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_mapping_last_reload_success_timestamp_seconds",
			Help: "Unix time at which the running mapping set was loaded (at start or by the last successful reload).",
		}),
		MappingProviders: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_mapping_providers",
			Help: "Providers in the running mapping set.",
		}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_build_info",
			Help: "Always 1; the labels say which build is running.",
		}, []string{"version", "commit", "goversion"}),
		delivery: newDelivery(),
	}
	for _, result := range []string{ResultSuccess, ResultFailure} {
		m.MappingReloads.WithLabelValues(result)
	}
	var errs []error
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.MappingReloads,
		m.MappingLastReloadSuccess,
		m.MappingProviders,
		m.BuildInfo,
	} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range m.delivery.collectors() {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// NATSConnected registers a gauge that reads 1 while connected reports true.
func NATSConnected(reg prometheus.Registerer, connected func() bool) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bridge_nats_connected",
		Help: "1 while the bridge is connected to NATS, else 0.",
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	}))
}

// Handler serves what reg gathers in the Prometheus exposition format;
// errors while gathering are logged at Error and counted on reg.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError),
		Registry: reg,
	})
}

// IdempotencyCache is what the idempotency store's negative cache reports.
type IdempotencyCache struct {
	Ready    func() bool // the cache answers (its watch has every key)
	Local    func() uint64
	Bucket   func() uint64
	Rebuilds func() uint64
	Resyncs  func() uint64
}

// RegisterIdempotencyCache registers the cache's gauge and counters, read
// at scrape time (nothing on the delivery path).
func RegisterIdempotencyCache(reg prometheus.Registerer, c IdempotencyCache) error {
	counter := func(name, help string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	return errors.Join(
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bridge_idempotency_cache_ready",
			Help: "1 while the idempotency cache answers lookups of new deliveries locally, 0 while every lookup goes to the bucket.",
		}, func() float64 {
			if c.Ready() {
				return 1
			}
			return 0
		})),
		reg.Register(counter("bridge_idempotency_lookups_local_total",
			"Lookups of deliveries answered \"never seen\" by the idempotency cache, without a round trip.", c.Local)),
		reg.Register(counter("bridge_idempotency_lookups_bucket_total",
			"Lookups of deliveries sent to the idempotency bucket (round trips, retries included).", c.Bucket)),
		reg.Register(counter("bridge_idempotency_cache_rebuilds_total",
			"Idempotency cache filters rebuilt larger or fresh.", c.Rebuilds)),
		reg.Register(counter("bridge_idempotency_cache_resyncs_total",
			"Watches of the idempotency bucket restarted after a disconnect, a stop or a lag.", c.Resyncs)),
	)
}
