package transform

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// TestNilHints: an evaluation that fails on a nil (a field the payload
// lacks, joined or computed) names the path the payload lacks and the keys
// it has, in the key and in data, as entity_id and time already did (the
// new-user review of 2026-12-06 met "string + <nil>" with no field named).
func TestNilHints(t *testing.T) {
	const file = `provider: shop
module: m
webhook: {signature: {scheme: none}}
idempotency_key: 'payload.id + ":" + payload.updated_at'
rules:
  - name: seen
    when: payload.kind == "order"
    entity_type: order
    event_name: seen
    entity_id: payload.id
    source: '"https://shop.example/" + payload.id'
    data:
      total: payload.totals.gross * 100
`
	m, problems := Parse("shop.yaml", []byte(file), Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	apply := func(body string) *Failure {
		in := NewInput("shop", IngestWebhook, []byte(body), http.Header{}, received)
		var err error
		if in.Payload, err = jsonx.Decode([]byte(body)); err != nil {
			t.Fatal(err)
		}
		return m.Apply(in).Failure
	}
	for _, tc := range []struct{ body, field, want string }{
		{`{"id":"o1","kind":"order","updatd_at":"2026-01-01"}`, "idempotency_key", `payload has no key "updated_at" (did you mean "updatd_at"?`},
		{`{"id":"o1","kind":"order","updated_at":"2026-01-01","totals":{"gros":1}}`, "data.total", `payload.totals has no key "gross" (did you mean "gros"?`},
	} {
		f := apply(tc.body)
		if f == nil || f.Field != tc.field || !strings.Contains(f.Error(), tc.want) {
			t.Errorf("%s: failure %v, want field %s and %q", tc.body, f, tc.field, tc.want)
		}
	}
}
