package daemon

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/ingest"
)

// TestUnknownProvidersRateLimited: with --rate-limit, requests for
// providers without a mapping share one bucket: a flood of them at random
// names is answered 429 once the burst is spent, and the known providers
// keep theirs.
func TestUnknownProvidersRateLimited(t *testing.T) {
	const burst = 3
	b := startBridge(t, nil, func(c *config.Config) { c.RateLimit, c.RateBurst = 0.05, burst })
	for i := range burst {
		if r := post(t, fmt.Sprintf("%s/webhooks/nobody%d", b.base, i), []byte(`{}`), nil); r.status != http.StatusNotFound {
			t.Fatalf("unknown provider %d of the burst: %d %s, want 404", i, r.status, r.raw)
		}
	}
	r := post(t, b.base+"/webhooks/someone-else", []byte(`{}`), nil)
	if r.status != http.StatusTooManyRequests || r.body["type"] != "urn:bridge:problem:rate-limited" || r.body["provider"] != "someone-else" {
		t.Fatalf("unknown provider over the shared burst: %d %s, want 429", r.status, r.raw)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if r := postStripe(t, b, "charge.succeeded.json"); r.status != http.StatusAccepted {
		t.Errorf("stripe while unknown providers are limited: %d %s", r.status, r.raw)
	}
	wantMetrics(t, scrape(t, b), map[string]float64{
		`bridge_rejections_total{ingest="webhook",provider="unknown",reason="rate_limited"}`:     1,
		`bridge_rejections_total{ingest="webhook",provider="unknown",reason="unknown_provider"}`: burst,
	})
}

// TestRejectionLogsSampled: a flood of rejections logs the first
// ingest.RejectLogBurst lines of each reason; the metrics count them all.
func TestRejectionLogsSampled(t *testing.T) {
	const flood = 3 * ingest.RejectLogBurst
	logs := &logBuffer{}
	b := launchBridge(t, setup{logs: logs})
	for i := range flood {
		post(t, b.base+"/webhooks/stripe", []byte(`{}`), nil) // no signature
		post(t, fmt.Sprintf("%s/webhooks/nobody%d", b.base, i), []byte(`{}`), nil)
	}
	lines := map[string]int{}
	for _, r := range logs.records(t, "rejected") {
		lines[fmt.Sprint(r["reason"])]++
	}
	if lines["signature_missing"] != ingest.RejectLogBurst || lines["unknown_provider"] != ingest.RejectLogBurst || len(lines) != 2 {
		t.Errorf("rejection lines by reason: %v, want %d of each of signature_missing and unknown_provider", lines, ingest.RejectLogBurst)
	}
	wantMetrics(t, scrape(t, b), map[string]float64{
		`bridge_rejections_total{ingest="webhook",provider="stripe",reason="signature_missing"}`: flood,
		`bridge_rejections_total{ingest="webhook",provider="unknown",reason="unknown_provider"}`: flood,
	})
}
