package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterBodyBudget registers the gauges of the budget of request bodies
// in memory (--max-inflight-bytes): the bytes charged now, read at scrape
// time from inFlight, and the budget itself.
func RegisterBodyBudget(reg prometheus.Registerer, inFlight func() int64, limit int64) error {
	return errors.Join(
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bridge_body_inflight_bytes",
			Help: "Bytes of request bodies held in memory now (buffers of the bodies being read and handled).",
		}, func() float64 { return float64(inFlight()) })),
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "bridge_body_budget_bytes",
			Help: "Most bytes of request bodies held in memory at once (--max-inflight-bytes); beyond it a delivery is answered 503.",
		}, func() float64 { return float64(limit) })),
	)
}
