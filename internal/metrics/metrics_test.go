package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
