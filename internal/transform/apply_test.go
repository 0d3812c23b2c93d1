package transform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

var received = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func loadTestdata(t *testing.T, name string) *Mapping {
	t.Helper()
	m, problems := ParseFile(t, "testdata/"+name)
	if len(problems) > 0 {
		t.Fatalf("load %s: %v", name, (&LoadError{problems}).Error())
	}
	return m
}

func ParseFile(t *testing.T, path string) (*Mapping, []*Diagnostic) {
	t.Helper()
	data := readFile(t, path)
	return Parse(path, data, Options{LookupEnv: func(string) (string, bool) { return "", false }, SchemasDir: "testdata/schemas"})
}

func apply(t *testing.T, m *Mapping, body string) Result {
	t.Helper()
	payload, err := jsonx.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return m.Apply(Input{Provider: m.Provider, Ingest: IngestWebhook, Body: []byte(body), Payload: payload,
		ReceivedAt: received})
}

func decodeEvent(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, raw)
	}
	return e
}

func TestApplyBuildsAProfileValidEvent(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	res := apply(t, m, `{"kind":"order.paid","delivery_id":"d-1","created":1700000000,
		"order":{"id":"o-42","total":"110.50","currency":"brl","email":"ana@example.com","lines":[{"sku":"a"}]}}`)
	if res.Failure != nil {
		t.Fatalf("failure: %v", res.Failure)
	}
	if len(res.Events) != 1 || res.Rule.Name != "order-paid" {
		t.Fatalf("events = %d, rule = %v", len(res.Events), res.Rule)
	}
	ev := res.Events[0]
	if err := ValidateProfile(ev.JSON); err != nil {
		t.Fatalf("profile: %v\n%s", err, ev.JSON)
	}
	got := decodeEvent(t, ev.JSON)
	entity := idem.EntityID("shop", "order", "o-42").String()
	want := map[string]any{
		"specversion":     "1.0",
		"type":            "event.shop.orders.order.paid",
		"source":          "https://shop.example.com/orders/o-42",
		"subject":         "order/" + entity,
		"time":            "2023-11-14T22:13:20Z",
		"datacontenttype": "application/json",
		"dataschema":      "https://schemas.example.com/shop/orders/order/paid/v1.json",
		"idempotencykey":  idem.KeyFor("shop", "d-1").String(),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if u, err := uuid.Parse(got["id"].(string)); err != nil || u.Version() != 7 {
		t.Errorf("id %v is not a UUID v7", got["id"])
	}
	data := got["data"].(map[string]any)
	for k, v := range map[string]any{"entity_type": "ORDER", "amount": 11050.0, "currency": "BRL",
		"entity_id": entity, "external_entity_id": "o-42"} {
		if data[k] != v {
			t.Errorf("data.%s = %v, want %v", k, data[k], v)
		}
	}
	if email := data["customer"].(map[string]any)["email"]; email != "***********.com" {
		t.Errorf("data.customer.email = %v", email)
	}
}

func TestApplyVerdicts(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	tests := []struct {
		name    string
		body    string
		events  int
		dropped bool
		reason  deadletter.Reason
		field   string
	}{
		{"drop rule", `{"kind":"ping","delivery_id":"d"}`, 0, true, "", ""},
		{"no rule", `{"kind":"refund","delivery_id":"d"}`, 0, false, deadletter.ReasonNoRule, ""},
		{"not an object", `[1,2]`, 0, false, deadletter.ReasonEvalError, "when"},
		{"each", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":2,"at":"2026-01-02T03:04:06.5Z"}]}`, 2, false, "", ""},
		{"each element breaks the rule's schema", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":0,"at":"2026-01-02T03:04:06.5Z"}]}`, 0, false, deadletter.ReasonSchema, "each[1].data"},
		{"data breaks the dataschema's schema", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"0","currency":"brl","email":"x"}}`, 0, false, deadletter.ReasonSchema, "data"},
		{"each over nothing", `{"kind":"order.shipped","delivery_id":"d","items":[]}`, 0, false, "", ""},
		{"each with a bad time", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"yesterday"}]}`, 0, false, deadletter.ReasonEvalError, "each[0].time"},
		{"missing entity id", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"total":"1","currency":"brl","email":"x"}}`, 0, false, deadletter.ReasonEvalError, "entity_id"},
		{"amount with too many decimals", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"1.001","currency":"brl","email":"x"}}`, 0, false, deadletter.ReasonEvalError, "data.amount"},
		{"missing idempotency key", `{"kind":"order.paid","created":1,"order":{"id":"o","total":"1","currency":"brl","email":"x"}}`, 0, false, deadletter.ReasonEvalError, "idempotency_key"},
		{"source not a URI", `{"kind":"bad.source","delivery_id":"d","order":{"id":"o"}}`, 0, false, deadletter.ReasonInvalidEvent, ""},
		{"too big", `{"kind":"big","delivery_id":"d"}`, 0, false, deadletter.ReasonInvalidEvent, "size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := apply(t, m, tc.body)
			if res.Key == (uuid.UUID{}) {
				t.Error("no delivery key")
			}
			if tc.reason == "" && res.Failure != nil {
				t.Fatalf("failure: %v", res.Failure)
			}
			if tc.reason != "" {
				if res.Failure == nil {
					t.Fatalf("no failure, want %s", tc.reason)
				}
				if res.Failure.Reason != tc.reason || (tc.field != "" && res.Failure.Field != tc.field) {
					t.Fatalf("failure = %s %q (%v), want %s %q", res.Failure.Reason, res.Failure.Field, res.Failure, tc.reason, tc.field)
				}
			}
			if len(res.Events) != tc.events || res.Dropped != tc.dropped {
				t.Fatalf("events = %d dropped = %v, want %d %v", len(res.Events), res.Dropped, tc.events, tc.dropped)
			}
			for _, ev := range res.Events {
				if err := ValidateProfile(ev.JSON); err != nil {
					t.Errorf("profile: %v", err)
				}
			}
		})
	}
}

func TestEachEventsGetTheirOwnKeys(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	body := `{"kind":"order.shipped","delivery_id":"d-9","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":1,"at":"2026-01-02T03:04:05Z"}]}`
	res := apply(t, m, body)
	delivery := idem.KeyFor("shop", "d-9")
	if res.Key != delivery {
		t.Fatalf("delivery key = %s, want %s", res.Key, delivery)
	}
	for i, ev := range res.Events {
		if want := idem.EventKey(delivery, "items-shipped", i); ev.IdempotencyKey != want {
			t.Errorf("event %d key = %s, want %s", i, ev.IdempotencyKey, want)
		}
		if !strings.HasPrefix(ev.Subject, "item/") {
			t.Errorf("subject %q", ev.Subject)
		}
	}
	again := apply(t, m, body)
	if again.Events[1].IdempotencyKey != res.Events[1].IdempotencyKey || again.Events[1].ID == res.Events[1].ID {
		t.Error("a retried delivery must keep its keys and get new ids")
	}
}

func TestSchemaViolationsNameEachPointer(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	res := apply(t, m, `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"0","currency":"us$","email":"x"}}`)
	var se *SchemaError
	if res.Failure == nil || !errors.As(res.Failure, &se) {
		t.Fatalf("failure = %v, want a SchemaError", res.Failure)
	}
	want := []string{"/data/amount: minimum: got 0, want 1", "/data/currency: 'US$' does not match pattern '^[A-Z]{3}$'", "/data/lines: got null, want array"}
	if strings.Join(se.Violations, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(se.Violations, "\n"), strings.Join(want, "\n"))
	}
	if r := m.Rules()[1]; r.SchemaFile != "testdata/schemas/schemas.example.com/shop/orders/order/paid/v1.json" {
		t.Errorf("schema file %q", r.SchemaFile)
	}
}
