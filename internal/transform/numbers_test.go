package transform

import (
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
)

const bigNumbersMapping = `provider: ledger
module: accounts
webhook:
  signature: {scheme: none}
idempotency_key: payload.id
rules:
  - name: arithmetic
    when: payload.kind == "arith"
    entity_type: entry
    event_name: computed
    entity_id: payload.id
    source: '"https://ledger.example.com/" + string(payload.id)'
    data:
      cents: payload.amount * 100
  - name: pass
    when: payload.kind == "pass"
    entity_type: entry
    event_name: posted
    entity_id: payload.id
    source: '"https://ledger.example.com/" + string(payload.id)'
    data:
      amount: payload.amount
      small: payload.small
      fee: minorUnits(payload.fee, "BRL")
      nested: payload.nested
`

// A 20-digit id or amount reaches data, the entity id and the idempotency
// key exactly as sent, on both decoders (the paths-only one, and the whole
// one a body with an escape takes); arithmetic on it is an eval_error
// naming the field, never a rounded value.
func TestBigIntegersAreExact(t *testing.T) {
	m, problems := Parse("ledger.yaml", []byte(bigNumbersMapping), Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	for _, escaped := range []bool{false, true} {
		kind := `"pass"`
		if escaped {
			kind = `"p\u0061ss"` // forces the whole decode
		}
		keys := map[string]bool{}
		for _, id := range []string{"12345678901234567891", "12345678901234567892"} {
			body := `{"kind":` + kind + `,"id":` + id + `,"amount":98765432109876543210,"small":12.5,` +
				`"fee":90071992547409.91,"nested":{"n":[9007199254740993,1]}}`
			payload, err := m.Decode("application/json", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			res := m.Apply(Input{Provider: m.Provider, Ingest: IngestWebhook, Body: []byte(body), Payload: payload,
				ReceivedAt: received})
			if res.Failure != nil {
				t.Fatalf("escaped=%v: %v", escaped, res.Failure)
			}
			raw := string(res.Events[0].JSON)
			for _, want := range []string{`"amount":98765432109876543210`, `"small":12.5`, `"fee":9007199254740991`,
				`"nested":{"n":[9007199254740993,1]}`, `"external_entity_id":"` + id + `"`,
				`"source":"https://ledger.example.com/` + id + `"`} {
				if !strings.Contains(raw, want) {
					t.Errorf("escaped=%v: event lacks %s:\n%s", escaped, want, raw)
				}
			}
			if err := ValidateProfile(res.Events[0].JSON); err != nil {
				t.Errorf("profile: %v", err)
			}
			key := res.Events[0].IdempotencyKey
			if key != idem.KeyFor("ledger", id) {
				t.Errorf("escaped=%v: key %s is not the key of %s", escaped, key, id)
			}
			keys[key.String()] = true
		}
		if len(keys) != 2 {
			t.Errorf("escaped=%v: two ids one float apart share an idempotency key", escaped)
		}
	}

	body := `{"kind":"arith","id":1,"amount":98765432109876543210}`
	payload, err := m.Decode("application/json", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	res := m.Apply(Input{Provider: m.Provider, Ingest: IngestWebhook, Body: []byte(body), Payload: payload,
		ReceivedAt: received})
	if res.Failure == nil || res.Failure.Reason != deadletter.ReasonEvalError || res.Failure.Field != "data.cents" {
		t.Fatalf("arithmetic on a 20-digit number: %+v, want an eval_error on data.cents", res.Failure)
	}
}

// string() writes a number as the provider wrote it, not as Go's %v does
// (1234567 once became "1.234567e+06" in a stored source, with no error),
// and a missing value is an error, not "<nil>".
func TestStringWritesNumbersAsWritten(t *testing.T) {
	const mapping = `provider: shop
module: orders
webhook:
  signature: {scheme: none}
rules:
  - when: 'true'
    entity_type: order
    event_name: paid
    entity_id: string(payload.id)
    source: '"https://shop.example.com/orders/" + string(payload.id)'
    data:
      s: string(payload.v)
`
	m, problems := Parse("shop.yaml", []byte(mapping), Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	for _, tc := range []struct{ v, want string }{
		{`1234567`, `"1234567"`},
		{`12345678901234567891`, `"12345678901234567891"`},
		{`0.5`, `"0.5"`},
		{`-12.25`, `"-12.25"`},
		{`1e21`, `"1e+21"`},
		{`true`, `"true"`},
		{`"as is"`, `"as is"`},
	} {
		body := `{"id":1234567,"v":` + tc.v + `}`
		payload, err := m.Decode("application/json", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		res := m.Apply(Input{Provider: "shop", Ingest: IngestWebhook, Body: []byte(body), Payload: payload, ReceivedAt: received})
		if res.Failure != nil {
			t.Fatalf("%s: %v", tc.v, res.Failure)
		}
		raw := string(res.Events[0].JSON)
		if !strings.Contains(raw, `"s":`+tc.want) || !strings.Contains(raw, `"source":"https://shop.example.com/orders/1234567"`) {
			t.Errorf("string(%s): %s", tc.v, raw)
		}
	}
	body := `{"id":1}`
	payload, _ := m.Decode("application/json", []byte(body))
	res := m.Apply(Input{Provider: "shop", Ingest: IngestWebhook, Body: []byte(body), Payload: payload, ReceivedAt: received})
	if res.Failure == nil || res.Failure.Field != "data.s" || !strings.Contains(res.Failure.Err.Error(), "nil") {
		t.Fatalf("string of a missing field: %+v", res.Failure)
	}
}

// A built-in given a missing list says so in the mapping's words, not in
// Go's reflect ("call of reflect.Value.Len on zero Value").
func TestNilListErrorIsReadable(t *testing.T) {
	const mapping = `provider: shop
module: orders
webhook:
  signature: {scheme: none}
rules:
  - when: 'true'
    entity_type: order
    event_name: paid
    entity_id: '"1"'
    source: '"https://shop.example.com/orders/1"'
    data:
      items: 'map(payload.items, #.sku)'
`
	m, problems := Parse("shop.yaml", []byte(mapping), Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	body := `{}`
	payload, _ := m.Decode("application/json", []byte(body))
	res := m.Apply(Input{Provider: "shop", Ingest: IngestWebhook, Body: []byte(body), Payload: payload, ReceivedAt: received})
	if res.Failure == nil || res.Failure.Field != "data.items" || strings.Contains(res.Failure.Err.Error(), "reflect") ||
		!strings.Contains(res.Failure.Err.Error(), "nil") {
		t.Fatalf("map over a missing list: %+v", res.Failure)
	}
}
