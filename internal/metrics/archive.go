package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Archive reads the raw archive writer's counts at scrape time
// (archive.Writer.Stats).
type Archive struct {
	Pending func() int64  // records queued or awaiting their acknowledgement
	Written func() uint64 // records the stream acknowledged
	Dropped func() uint64 // records not kept: the writer's window was full
	Failed  func() uint64 // records the stream did not take
}

// RegisterArchive registers the raw archive's metrics: its lag
// (bridge_archive_pending), what it kept (bridge_archive_written_total)
// and what it could not keep (bridge_archive_failed_total, by reason:
// window_full or publish).
func RegisterArchive(reg prometheus.Registerer, a Archive) error {
	failed := func(reason string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "bridge_archive_failed_total",
			Help:        "Deliveries not kept in the raw archive (RAW): window_full, its writer's window was full; publish, the stream did not take it. The deliveries themselves were answered as usual.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(f()) })
	}
	return errors.Join(
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bridge_archive_pending",
			Help: "Deliveries queued for the raw archive (RAW) or awaiting its acknowledgement: the archive's lag, what a crash now would lose from it.",
		}, func() float64 { return float64(a.Pending()) })),
		reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "bridge_archive_written_total",
			Help: "Deliveries the raw archive (RAW) acknowledged (a retry within its duplicate window counts, and is stored once).",
		}, func() float64 { return float64(a.Written()) })),
		reg.Register(failed("window_full", a.Dropped)),
		reg.Register(failed("publish", a.Failed)),
	)
}
