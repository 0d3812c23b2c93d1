package daemon

import (
	"strings"
	"testing"
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
