package daemon

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	b := startBridge(t, nil, nil)
	r := do(t, mustRequest(t, http.MethodGet, b.admin+"/metrics"))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q", r.status, r.header.Get("Content-Type"))
	}
	samples := scrape(t, b)
	wantMetrics(t, samples, map[string]float64{reloadsOK: 0, reloadsFailed: 0, providers: 3})
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
