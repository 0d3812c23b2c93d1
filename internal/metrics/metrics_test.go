package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRegistersOnTheGivenRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.MappingReloads.WithLabelValues(ResultFailure).Inc()
	m.MappingProviders.Set(3)

	srv := httptest.NewServer(Handler(reg, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range []string{
		`bridge_mapping_reloads_total{result="failure"} 1`,
		`bridge_mapping_reloads_total{result="success"} 0`,
		"bridge_mapping_providers 3",
		"bridge_mapping_last_reload_success_timestamp_seconds 0",
		"# TYPE go_goroutines gauge",
		"# TYPE process_start_time_seconds gauge",
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("no line %q in\n%s", line, body)
		}
	}

	// Each registry is its own: a second set on another registry is fine,
	// a second set on the same one is refused.
	if _, err := New(prometheus.NewRegistry()); err != nil {
		t.Errorf("New on a second registry: %v", err)
	}
	if _, err := New(reg); err == nil {
		t.Error("New registered the same metrics twice on one registry")
	}
}

// TestDeliveryCounts: the delivery methods, called from many goroutines
// at once, count in the series of their label values.
func TestDeliveryCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			provider := []string{"stripe", "pix"}[i%2]
			m.Received(provider, "webhook")
			done := m.PublishStarted(provider, "event."+provider+".a.b.c")
			done(i%4 < 2)
			m.Done(provider, "webhook", "published", time.Now())
			m.Rejected(provider, "nats", "too_large", time.Now())
		})
	}
	wg.Wait()

	srv := httptest.NewServer(Handler(reg, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range []string{
		`bridge_deliveries_received_total{ingest="webhook",provider="stripe"} 25`,
		`bridge_deliveries_received_total{ingest="webhook",provider="pix"} 25`,
		`bridge_events_published_total{provider="stripe",type="event.stripe.a.b.c"} 13`,
		`bridge_events_published_total{provider="pix",type="event.pix.a.b.c"} 13`,
		`bridge_deliveries_total{ingest="webhook",outcome="published",provider="stripe"} 25`,
		`bridge_deliveries_total{ingest="nats",outcome="rejected",provider="pix"} 25`,
		`bridge_rejections_total{ingest="nats",provider="stripe",reason="too_large"} 25`,
		`bridge_delivery_duration_seconds_count{ingest="webhook",outcome="published"} 50`,
		`bridge_delivery_duration_seconds_count{ingest="nats",outcome="rejected"} 50`,
		`bridge_publish_duration_seconds_count 50`,
		`bridge_publishes_in_flight 0`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("no line %q in\n%s", line, body)
		}
	}
}
