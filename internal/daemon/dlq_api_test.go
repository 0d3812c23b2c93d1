package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

const customerCreatedRule = `
  - name: customer.created
    when: payload.type == "customer.created"
    entity_type: customer
    event_name: created
    entity_id: payload.data.object.id
    source: '"https://api.stripe.com/v1/customers/" + payload.data.object.id'
    time: fromUnix(payload.created)
    data:
      name: payload.data.object.name
`

// copyShippedMappings copies ../../mappings to a temporary directory, with
// the customer's e-mail redacted in stripe.yaml.
func copyShippedMappings(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("../../mappings")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("../../mappings", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "stripe.yaml" {
			b = []byte(strings.Replace(string(b), "\nmodule: payments\n", "\nmodule: payments\nredact: [data.object.email]\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func get(t *testing.T, url string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func TestDLQAPI(t *testing.T) {
	dir := copyShippedMappings(t)
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })

	if r := postStripe(t, b, "customer.created.json"); r.status != http.StatusAccepted || r.body["reason"] != "no_rule" {
		t.Fatalf("customer.created: %d %s, want 202 no_rule", r.status, r.raw)
	}

	r := get(t, b.admin+"/api/dlq?provider=stripe&reason=no_rule&since=7d&limit=10")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/dlq: %d %s", r.status, r.raw)
	}
	list, _ := r.body["dead_letters"].([]any)
	if len(list) != 1 {
		t.Fatalf("GET /api/dlq: %s, want one dead letter", r.raw)
	}
	dl := list[0].(map[string]any)
	body, _ := dl["body"].(string)
	if dl["seq"] != 1.0 || dl["provider"] != "stripe" || dl["reason"] != "no_rule" || dl["ingest"] != "webhook" ||
		!strings.Contains(body, `"email":"[redacted]"`) || !strings.Contains(body, `"id":"cus_SzA7qLm3PdR2Xk"`) {
		t.Errorf("dead letter = %s", r.raw)
	}
	if bytes.Contains(r.raw, []byte("jenny.rosen@example.com")) {
		t.Errorf("GET /api/dlq shows a redacted value: %s", r.raw)
	}
	if r := get(t, b.admin+"/api/dlq?provider=github"); r.status != http.StatusOK || len(r.body["dead_letters"].([]any)) != 0 {
		t.Errorf("GET /api/dlq?provider=github: %d %s", r.status, r.raw)
	}

	for _, q := range []string{"since=yesterday", "limit=0", "limit=5000", "provider=a.b"} {
		r := get(t, b.admin+"/api/dlq?"+q)
		if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != "application/problem+json" ||
			r.body["type"] != "urn:bridge:problem:invalid-query" {
			t.Errorf("GET /api/dlq?%s: %d %s, want 400 invalid-query", q, r.status, r.raw)
		}
	}
	for _, body := range []string{`{"provider": "stripe", "colour": "red"}`, `{"since": "soon"}`, `[1]`, `{"limit": -1}`} {
		r := post(t, b.admin+"/api/dlq/replay", []byte(body), nil)
		if r.status != http.StatusBadRequest || r.body["type"] != "urn:bridge:problem:invalid-body" {
			t.Errorf("POST /api/dlq/replay %s: %d %s, want 400 invalid-body", body, r.status, r.raw)
		}
	}

	// A dry run with the running mappings: it would stay.
	r = post(t, b.admin+"/api/dlq/replay", []byte(`{"provider": "stripe", "dry_run": true}`), nil)
	if r.status != http.StatusOK || r.body["dry_run"] != true || r.body["done"] != false || outcomeOf(r, 0) != "kept" {
		t.Fatalf("dry run: %d %s", r.status, r.raw)
	}

	// The mapping gains the rule: the replay stores the event and the dead
	// letter is gone.
	stripe := filepath.Join(dir, "stripe.yaml")
	y, _ := os.ReadFile(stripe)
	if err := os.WriteFile(stripe, append(y, customerCreatedRule...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	r = post(t, b.admin+"/api/dlq/replay", []byte(`{"provider": "stripe", "since": "1h"}`), nil)
	if r.status != http.StatusOK || r.body["done"] != true || outcomeOf(r, 0) != "published" {
		t.Fatalf("replay: %d %s", r.status, r.raw)
	}
	if got := streamMsgs(t, b.js, "EVENTS_DLQ"); got != 0 {
		t.Errorf("%d dead letters left", got)
	}
	ev := lastMsg(t, b.js, "EVENTS", "event.stripe.payments.customer.created")
	if err := transform.ValidateProfile(ev.Data); err != nil {
		t.Errorf("replayed event breaks the profile: %v", err)
	}
	events := r.body["results"].([]any)[0].(map[string]any)["events"].([]any)
	if id := events[0].(map[string]any)["id"]; id != ev.Header.Get("ce-id") {
		t.Errorf("replay answered event %v, stored %s", id, ev.Header.Get("ce-id"))
	}
	if r := get(t, b.admin+"/api/dlq"); len(r.body["dead_letters"].([]any)) != 0 {
		t.Errorf("GET /api/dlq after the replay: %s", r.raw)
	}
}

// outcomeOf returns the outcome of the i-th result of a replay answer.
func outcomeOf(r reply, i int) any {
	results, _ := r.body["results"].([]any)
	if len(results) <= i {
		return nil
	}
	return results[i].(map[string]any)["outcome"]
}

func TestDLQAPIOutage(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) { c.RequestTimeout = 500 * time.Millisecond })
	if r := postStripe(t, b, "customer.created.json"); r.status != http.StatusAccepted {
		t.Fatalf("customer.created: %d %s", r.status, r.raw)
	}
	srv.Stop(t)
	for _, r := range []reply{
		get(t, b.admin+"/api/dlq"),
		post(t, b.admin+"/api/dlq/replay", nil, nil),
	} {
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" ||
			r.body["type"] != "urn:bridge:problem:store-unavailable" {
			t.Errorf("during the outage: %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
	srv.Restart(t)
	checkFor(t, 10*time.Second, func() error {
		if r := get(t, b.admin+"/api/dlq"); r.status != http.StatusOK || len(r.body["dead_letters"].([]any)) != 1 {
			return fmt.Errorf("after the outage: %d %s", r.status, r.raw)
		}
		return nil
	})
}

// A replay request must say it is JSON: a form posted by a page on another
// site cannot trigger one.
func TestReplayTakesOnlyJSON(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	req, _ := http.NewRequest(http.MethodPost, b.admin+"/api/dlq/replay", strings.NewReader("provider=stripe"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := do(t, req); r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("form replay: %d %s, want 415", r.status, r.raw)
	}
}
