package transform

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An event whose source, dataschema or type is far longer than the rest
// of it is written whole: the buffer's size is an estimate, never a bound.
func TestEventWithLongAttributes(t *testing.T) {
	long := strings.Repeat("a", 2000)
	const file = `provider: shop
module: m
accepts: [nats]
rules:
  - when: 'true'
    entity_type: order
    event_name: %EN%
    entity_id: payload.id
    dataschema: %DS%
    source: '"https://x.example/" + payload.path'
`
	for _, tc := range []struct{ name, dataschema, path, event string }{
		{"long source", "urn:x:s", long, "paid"},
		{"long dataschema", "urn:x:" + long, "p", "paid"},
		{"long type", "urn:x:s", "p", "paid_" + strings.Repeat("x", 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ds := Parse("f.yaml", []byte(strings.NewReplacer("%DS%", tc.dataschema, "%EN%", tc.event).Replace(file)), Options{})
			if len(ds) > 0 {
				t.Fatal(ds)
			}
			in := NewInput("shop", IngestNATS, nil, nil, time.Now())
			in.Payload = map[string]any{"id": "o1", "path": tc.path}
			res := m.Apply(in)
			if res.Failure != nil || len(res.Events) != 1 {
				t.Fatalf("failure %v, %d events", res.Failure, len(res.Events))
			}
			var ev struct{ Source, DataSchema string }
			if err := json.Unmarshal(res.Events[0].JSON, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Source != "https://x.example/"+tc.path || ev.DataSchema != tc.dataschema || !strings.HasSuffix(res.Events[0].Type, "."+tc.event) {
				t.Errorf("source %d bytes, dataschema %d bytes", len(ev.Source), len(ev.DataSchema))
			}
		})
	}
}
