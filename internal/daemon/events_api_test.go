package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
)

// TestEventsAPI: what a webhook stored is listed and fetched by id on the
// admin listener, with problems for a bad query and an unknown id.
func TestEventsAPI(t *testing.T) {
	b := startBridge(t, nil, nil)
	r := postStripe(t, b, "charge.succeeded.json")
	if r.status != 202 {
		t.Fatalf("webhook answered %d %s", r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	if id == "" {
		t.Fatalf("webhook answer %s", r.raw)
	}

	l := get(t, b.admin+"/api/events?type=event.stripe.>&since=1h")
	listed, _ := l.body["events"].([]any)
	if l.status != 200 || len(listed) != 1 || !strings.Contains(string(l.raw), id) {
		t.Fatalf("GET /api/events = %d %s", l.status, l.raw)
	}
	if l := get(t, b.admin+"/api/events?type=event.github.>"); l.status != 200 || string(l.raw) != "{\"events\":[]}\n" {
		t.Errorf("no match = %d %s", l.status, l.raw)
	}
	g := get(t, b.admin+"/api/events/"+id)
	ev, _ := g.body["event"].(map[string]any)
	if g.status != 200 || ev["id"] != id || ev["type"] != "event.stripe.payments.charge.succeeded" {
		t.Fatalf("GET /api/events/%s = %d %s", id, g.status, g.raw)
	}
	for _, tc := range []struct {
		path   string
		status int
		slug   string
	}{
		{"/api/events?since=1x&limit=5000", 400, "invalid-query"},
		{"/api/events/not-an-id", 400, "invalid-query"},
		{"/api/events/01890000-0000-7000-8000-000000000000", 404, "not-found"},
	} {
		p := get(t, b.admin+tc.path)
		if p.status != tc.status || p.body["type"] != "urn:bridge:problem:"+tc.slug {
			t.Errorf("GET %s = %d %s, want %d %s", tc.path, p.status, p.raw, tc.status, tc.slug)
		}
	}
	// Both problems of a listing at once.
	if p := get(t, b.admin+"/api/events?since=1x&limit=5000"); !strings.Contains(p.body["detail"].(string), "since") || !strings.Contains(p.body["detail"].(string), "limit") {
		t.Errorf("detail %q names not every bad parameter", p.body["detail"])
	}

	a := get(t, b.admin+"/api/asyncapi")
	channels, _ := a.body["channels"].(map[string]any)
	if a.status != 200 || a.body["asyncapi"] != "3.0.0" || channels["event.stripe.payments.charge.succeeded"] == nil {
		t.Errorf("GET /api/asyncapi = %d, asyncapi %v, %d channels", a.status, a.body["asyncapi"], len(channels))
	}
}

// TestEventsAPIDeadLetterHistory: an event stored after its delivery was
// dead-lettered (the rule was added since) is shown with that dead letter.
func TestEventsAPIDeadLetterHistory(t *testing.T) {
	dir := copyShippedMappings(t)
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	if r := postStripe(t, b, "customer.created.json"); r.status != 202 || r.body["reason"] != "no_rule" {
		t.Fatalf("customer.created: %d %s, want 202 no_rule", r.status, r.raw)
	}
	stripe := filepath.Join(dir, "stripe.yaml")
	text, err := os.ReadFile(stripe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stripe, append(text, customerCreatedRule...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	r := postStripe(t, b, "customer.created.json")
	id, _ := r.body["id"].(string)
	if r.status != 202 || id == "" {
		t.Fatalf("customer.created after the rule: %d %s", r.status, r.raw)
	}
	g := get(t, b.admin+"/api/events/"+id)
	hist, _ := g.body["dead_letters"].([]any)
	if g.status != 200 || len(hist) != 1 {
		t.Fatalf("GET /api/events/%s = %d %s, want the event with its one dead letter", id, g.status, g.raw)
	}
	if dl, _ := hist[0].(map[string]any); dl["reason"] != "no_rule" || !strings.Contains(string(g.raw), `[redacted]`) {
		t.Errorf("dead letter %v: want no_rule, its body redacted", dl)
	}
	// An event with no dead letter has an empty history.
	ok := postStripe(t, b, "charge.succeeded.json")
	g = get(t, b.admin+"/api/events/"+ok.body["id"].(string))
	if h, present := g.body["dead_letters"].([]any); !present || len(h) != 0 {
		t.Errorf("charge.succeeded: dead_letters %v, want []", g.body["dead_letters"])
	}
}
