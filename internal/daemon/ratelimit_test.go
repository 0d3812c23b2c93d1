package daemon

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
)

func TestWebhookRateLimit(t *testing.T) {
	const burst = 3
	// One delivery every 20s on average: the test is over long before a
	// token comes back.
	b := startBridge(t, nil, func(c *config.Config) { c.RateLimit, c.RateBurst = 0.05, burst })
	for i := range burst {
		if r := postStripe(t, b, "charge.succeeded.json"); r.status != http.StatusAccepted && r.status != http.StatusOK {
			t.Fatalf("delivery %d of the burst: status %d: %s", i+1, r.status, r.raw)
		}
	}

	r := postStripe(t, b, "charge.succeeded.json")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("delivery over the burst: status %d, want 429: %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.body["type"] != "urn:bridge:problem:rate-limited" || r.body["status"] != float64(429) || r.body["provider"] != "stripe" {
		t.Errorf("problem = %s", r.raw)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 || secs > 20 {
		t.Errorf("Retry-After = %q, want 1 to 20 seconds", r.header.Get("Retry-After"))
	}

	// Checked before anything else of the request: no body is read, no
	// signature checked, the method does not matter.
	req, _ := http.NewRequest(http.MethodGet, b.base+"/webhooks/stripe", nil)
	if r := do(t, req); r.status != http.StatusTooManyRequests {
		t.Errorf("GET over the limit: status %d, want 429", r.status)
	}
	// Unknown providers are not limited by stripe's bucket (they share one of
	// their own), nor counted as providers.
	if r := post(t, b.base+"/webhooks/nobody", []byte(`{}`), nil); r.status != http.StatusNotFound {
		t.Errorf("unknown provider: status %d, want 404", r.status)
	}

	// Another provider has its own bucket.
	ping := readExample(t, "github/ping.json")
	gh := post(t, b.base+"/webhooks/github", ping, map[string]string{
		"X-Hub-Signature-256": githubSign(ping), "X-GitHub-Event": "ping", "X-GitHub-Delivery": "rate-limit-test-1",
	})
	if gh.status == http.StatusTooManyRequests || gh.status >= 300 {
		t.Errorf("github while stripe is limited: status %d: %s", gh.status, gh.raw)
	}

	samples := scrape(t, b)
	wantMetrics(t, samples, map[string]float64{
		`bridge_rejections_total{ingest="webhook",provider="stripe",reason="rate_limited"}`: 2,
	})
	for series := range samples {
		if strings.Contains(series, `provider="github"`) && strings.Contains(series, "rate_limited") {
			t.Errorf("github counted as rate limited: %s", series)
		}
	}
}
