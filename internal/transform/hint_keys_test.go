package transform

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// keysHint lists at most maxHintKeys keys, and says how many more there
// are only when there are more.
func TestKeysHintBounds(t *testing.T) {
	keys := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("k%02d", i)] = i
		}
		return m
	}
	tests := []struct {
		n    int
		want string
	}{
		{0, " (it is empty)"},
		{1, " (it has: k00)"},
		{maxHintKeys, " (it has: k00, k01, k02, k03, k04, k05, k06, k07, k08, k09, k10, k11)"},
		{maxHintKeys + 3, " (it has: k00, k01, k02, k03, k04, k05, k06, k07, k08, k09, k10, k11, and 3 more)"},
	}
	for _, tc := range tests {
		if got := keysHint("zzzzzzzz", keys(tc.n)); got != tc.want {
			t.Errorf("%d keys: got %q, want %q", tc.n, got, tc.want)
		}
	}
}

// The hint of a missing field reads the payload from the body again (the
// mapping decoded only what it reads), except for an events envelope,
// whose body is not the payload: there it reads the payload the door set.
func TestMissingHintShapes(t *testing.T) {
	const file = `provider: shop
module: orders
accepts: [nats, events]
rules:
  - name: created
    when: 'true'
    entity_type: order
    event_name: created
    entity_id: payload.data.id
    source: '"https://shop.example/orders/x"'
    time: now()
    data:
      n: 1
`
	m, ds := Parse("shop.yaml", []byte(file), Options{})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	tests := []struct {
		name, ingest string
		body         string
		payload      any
		want         string
	}{
		{"the body decoded again", IngestNATS, `{"data":{"idd":1}}`, map[string]any{"data": map[string]any{}}, `payload.data has no key "id" (did you mean "idd"? it has: idd)`},
		{"an envelope is not the payload", IngestEvents, `{"data":{"idd":1}}`, map[string]any{"data": map[string]any{"ident": 1.0}}, `payload.data has no key "id" (did you mean "ident"? it has: ident)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInput("shop", tc.ingest, []byte(tc.body), nil, time.Now())
			in.Payload = tc.payload
			res := m.Apply(in)
			if res.Failure == nil || res.Failure.Field != "entity_id" || !strings.Contains(res.Failure.Err.Error(), tc.want) {
				t.Fatalf("failure %v, want on entity_id: %s", res.Failure, tc.want)
			}
		})
	}
}

// A warning's position is printed only as far as it is known.
func TestWarningString(t *testing.T) {
	tests := []struct {
		w    Warning
		want string
	}{
		{Warning{File: "f.yaml", Slug: "s", Msg: "m"}, "f.yaml: warning: m [s]"},
		{Warning{File: "f.yaml", Line: 1, Slug: "s", Msg: "m"}, "f.yaml:1: warning: m [s]"},
		{Warning{File: "f.yaml", Line: 1, Column: 1, Rule: "r", Slug: "s", Msg: "m"}, `f.yaml:1:1: warning: rule "r": m [s]`},
		{Warning{File: "f.yaml", Column: 3, Slug: "s", Msg: "m"}, "f.yaml: warning: m [s]"},
	}
	for _, tc := range tests {
		if got := tc.w.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
