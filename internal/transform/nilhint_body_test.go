package transform

import (
	"net/http"
	"strings"
	"testing"
)

// A nil hint reads the keys the payload has from the whole body, not from
// the payload as the mapping decoded it (only the paths its expressions
// read): the key a typo missed is named even though no expression reads
// it.
func TestNilHintsReadTheWholeBody(t *testing.T) {
	const file = `provider: shop
module: m
webhook: {signature: {scheme: none}}
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
	body := `{"id":"o1","kind":"order","totals":{"gros":1}}`
	in := NewInput("shop", IngestWebhook, []byte(body), http.Header{}, received)
	var err error
	if in.Payload, err = m.Decode("application/json", []byte(body)); err != nil {
		t.Fatal(err)
	}
	if _, ok := in.Payload.(map[string]any)["totals"].(map[string]any)["gros"]; ok {
		t.Fatal("the mapping's decode kept a key no expression reads: the test shows nothing")
	}
	f := m.Apply(in).Failure
	if want := `payload.totals has no key "gross" (did you mean "gros"?`; f == nil || f.Field != "data.total" || !strings.Contains(f.Error(), want) {
		t.Errorf("failure %v, want data.total and %q", f, want)
	}
}
