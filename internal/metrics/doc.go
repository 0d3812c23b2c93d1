// Package metrics defines the bridge's Prometheus metrics: one struct that
// holds them, built by New and registered on a registry its caller owns
// (never the global default registry), and Handler, which serves what a
// registry gathers. It does not decide when a metric changes: the parts
// that own the work (the daemon, the pipeline) update the fields.
package metrics
