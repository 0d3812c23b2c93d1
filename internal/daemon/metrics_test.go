package daemon

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestMetricsEndpoint(t *testing.T) {
	b := startBridge(t, nil, nil)
	r := do(t, mustRequest(t, http.MethodGet, b.admin+"/metrics"))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q", r.status, r.header.Get("Content-Type"))
	}
	samples := scrape(t, b)
	wantMetrics(t, samples, map[string]float64{reloadsOK: 0, reloadsFailed: 0, providers: shipped})
	if samples[lastSuccess] <= 0 {
		t.Errorf("%s = %v, want the time of the load at start", lastSuccess, samples[lastSuccess])
	}
	// The Go runtime and process collectors.
	for _, series := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := samples[series]; !ok {
			t.Errorf("no %s", series)
		}
	}
	// Metrics are served on the admin listener only.
	if r := do(t, mustRequest(t, http.MethodGet, b.base+"/metrics")); r.status != http.StatusNotFound {
		t.Errorf("public /metrics: %d", r.status)
	}
}

// TestDeliveryMetricsMove: a delivery, its duplicate, a dead letter, a
// drop and a rejection each move their series, and nothing else.
func TestDeliveryMetricsMove(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	postStripe(t, b, "charge.succeeded.json")
	postStripe(t, b, "charge.succeeded.json")
	postStripe(t, b, "customer.created.json")
	post(t, b.base+"/webhooks/stripe", []byte(`{}`), nil) // no signature
	post(t, b.base+"/webhooks/paypal", []byte(`{}`), nil)
	samples := scrape(t, b)
	wantMetrics(t, samples, map[string]float64{
		`bridge_deliveries_received_total{ingest="webhook",provider="stripe"}`:                           4,
		`bridge_deliveries_received_total{ingest="webhook",provider="unknown"}`:                          1,
		`bridge_deliveries_total{ingest="webhook",outcome="published",provider="stripe"}`:                1,
		`bridge_deliveries_total{ingest="webhook",outcome="duplicate",provider="stripe"}`:                1,
		`bridge_deliveries_total{ingest="webhook",outcome="dead_lettered",provider="stripe"}`:            1,
		`bridge_deliveries_total{ingest="webhook",outcome="rejected",provider="stripe"}`:                 1,
		`bridge_deliveries_total{ingest="webhook",outcome="rejected",provider="unknown"}`:                1,
		`bridge_rejections_total{ingest="webhook",provider="stripe",reason="signature_missing"}`:         1,
		`bridge_rejections_total{ingest="webhook",provider="unknown",reason="unknown_provider"}`:         1,
		`bridge_dead_letters_total{ingest="webhook",provider="stripe",reason="no_rule"}`:                 1,
		`bridge_events_published_total{provider="stripe",type="event.stripe.payments.charge.succeeded"}`: 1,
		`bridge_publish_duration_seconds_count`:                                                          1,
		`bridge_publishes_in_flight`:                                                                     0,
		`bridge_nats_connected`:                                                                          1,
		`bridge_body_inflight_bytes`:                                                                     0,
		`bridge_body_budget_bytes`:                                                                       64 << 20,
		`bridge_delivery_duration_seconds_count{ingest="webhook",outcome="published"}`:                   1,
	})
	// The published delivery and its duplicate were looked up: the first
	// by the cache or the bucket, the duplicate (whose key the cache
	// holds) by the bucket.
	for _, name := range []string{"bridge_idempotency_cache_ready", "bridge_idempotency_lookups_local_total",
		"bridge_idempotency_lookups_bucket_total", "bridge_idempotency_cache_rebuilds_total", "bridge_idempotency_cache_resyncs_total"} {
		if _, ok := samples[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	if local, bucket := samples["bridge_idempotency_lookups_local_total"], samples["bridge_idempotency_lookups_bucket_total"]; bucket < 1 || local+bucket < 2 {
		t.Errorf("idempotency lookups: %v local, %v in the bucket; want the duplicate's in the bucket and 2 in all", local, bucket)
	}
	found := false
	for series, v := range samples {
		if strings.HasPrefix(series, "bridge_build_info{") && v == 1 {
			found = true
		}
	}
	if !found {
		t.Error("no bridge_build_info")
	}
}
