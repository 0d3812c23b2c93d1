package transform

import (
	"strings"
	"testing"
	"time"
)

// TestMissingFieldNamesTheNearestKey: an eval_error for a field whose path
// the payload lacks names where the path stopped, the nearest key and the
// keys there, from the whole payload (not only the paths the mapping reads).
func TestMissingFieldNamesTheNearestKey(t *testing.T) {
	const file = `provider: shop
module: orders
accepts: [nats]
rules:
  - name: created
    when: payload.type == "order.created"
    entity_type: order
    event_name: created
    entity_id: %s
    source: '"https://shop.example/orders/x"'
    time: %s
    data:
      n: payload.n
`
	body := []byte(`{"type":"order.created","n":1,"data":{"id":"o1","total":5,"created_at":"2026-01-01T00:00:00Z"},"list":null}`)
	for _, tc := range []struct {
		entity, tm, field, want string
	}{
		{"payload.data.idd", "payload.data.created_at", "entity_id", `payload.data has no key "idd" (did you mean "id"? it has: created_at, id, total)`},
		{"payload.order.id", "payload.data.created_at", "entity_id", `payload has no key "order"`},
		{"payload.list.id", "payload.data.created_at", "entity_id", `payload.list is null, so it has no key "id"`},
		{"payload.data.id", "payload.data.created", "time", `payload.data has no key "created" (did you mean "created_at"?`},
		{"payload.data.id ?? payload.x", "payload.data.created_at", "", ""}, // not a plain path: no hint, no failure either
	} {
		m, diags := Parse("shop.yaml", []byte(strings.NewReplacer("%s", tc.entity).Replace(strings.Replace(file, "time: %s", "time: "+tc.tm, 1))), Options{})
		if len(diags) > 0 {
			t.Fatalf("%s: %v", tc.entity, diags[0])
		}
		in := NewInput("shop", IngestNATS, body, nil, time.Now())
		payload, err := m.Decode(ContentJSON, body)
		if err != nil {
			t.Fatal(err)
		}
		in.Payload = payload
		res := m.Apply(in)
		if tc.want == "" {
			if res.Failure != nil {
				t.Errorf("%s: %v", tc.entity, res.Failure)
			}
			continue
		}
		if res.Failure == nil || res.Failure.Field != tc.field || !strings.Contains(res.Failure.Err.Error(), tc.want) {
			t.Errorf("%s / %s: failure %v, want on %s: %s", tc.entity, tc.tm, res.Failure, tc.field, tc.want)
		}
	}
}
