package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/idem"
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

func ParseFile(t *testing.T, path string) (*Mapping, []*Problem) {
	t.Helper()
	data := readFile(t, path)
	return Parse(path, data, Options{LookupEnv: func(string) (string, bool) { return "", false }, SchemasDir: "testdata/schemas"})
}

func apply(t *testing.T, m *Mapping, body string) Result {
	t.Helper()
	payload, err := DecodeJSON([]byte(body))
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
		reason  string
		field   string
	}{
		{"drop rule", `{"kind":"ping","delivery_id":"d"}`, 0, true, "", ""},
		{"no rule", `{"kind":"refund","delivery_id":"d"}`, 0, false, ReasonNoRule, ""},
		{"not an object", `[1,2]`, 0, false, ReasonEvalError, "when"},
		{"each", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":2,"at":"2026-01-02T03:04:06.5Z"}]}`, 2, false, "", ""},
		{"each element breaks the rule's schema", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"2026-01-02T03:04:05Z"},{"sku":"b","qty":0,"at":"2026-01-02T03:04:06.5Z"}]}`, 0, false, ReasonSchema, "each[1].data"},
		{"data breaks the dataschema's schema", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"0","currency":"brl","email":"x"}}`, 0, false, ReasonSchema, "data"},
		{"each over nothing", `{"kind":"order.shipped","delivery_id":"d","items":[]}`, 0, false, "", ""},
		{"each with a bad time", `{"kind":"order.shipped","delivery_id":"d","items":[{"sku":"a","qty":1,"at":"yesterday"}]}`, 0, false, ReasonEvalError, "each[0].time"},
		{"missing entity id", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"total":"1","currency":"brl","email":"x"}}`, 0, false, ReasonEvalError, "entity_id"},
		{"amount with too many decimals", `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"1.001","currency":"brl","email":"x"}}`, 0, false, ReasonEvalError, "data.amount"},
		{"missing idempotency key", `{"kind":"order.paid","created":1,"order":{"id":"o","total":"1","currency":"brl","email":"x"}}`, 0, false, ReasonEvalError, "idempotency_key"},
		{"source not a URI", `{"kind":"bad.source","delivery_id":"d","order":{"id":"o"}}`, 0, false, ReasonInvalidEvent, ""},
		{"too big", `{"kind":"big","delivery_id":"d"}`, 0, false, ReasonInvalidEvent, "size"},
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

func TestDecodeJSONLimits(t *testing.T) {
	deep := strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1)
	if _, err := DecodeJSON([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper than 64") {
		t.Errorf("deep: %v", err)
	}
	ok := strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth)
	if _, err := DecodeJSON([]byte(ok)); err != nil {
		t.Errorf("at the depth limit: %v", err)
	}
	var wide strings.Builder
	wide.WriteString("{")
	for i := range MaxJSONKeys + 1 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"k%d":1`, i)
	}
	wide.WriteString("}")
	if _, err := DecodeJSON([]byte(wide.String())); err == nil || !strings.Contains(err.Error(), "more than 100000 keys") {
		t.Errorf("wide: %v", err)
	}
	// A megabyte of empty objects is refused, not decoded to ~40 MB.
	bomb := `{"pix":[` + strings.Repeat("{},", MaxJSONValues) + `{}]}`
	if _, err := DecodeJSON([]byte(bomb)); err == nil || !strings.Contains(err.Error(), "more than 200000 values") {
		t.Errorf("values: %v", err)
	}
	if n := JSONValues([]byte(bomb)); n < MaxJSONValues {
		t.Errorf("JSONValues of the bomb = %d", n)
	}
	if n := JSONValues([]byte(`{"a":"[,,,{","b":[1,2]}`)); n != 5 {
		t.Errorf("JSONValues skips strings: %d, want 5", n)
	}
	// Brackets and colons inside strings (and escaped quotes) do not count.
	if v, err := DecodeJSON([]byte(`{"a":"[[[:::\"{{{","b":[1,{"c":null}]}`)); err != nil || v.(map[string]any)["a"] != `[[[:::"{{{` {
		t.Errorf("strings: %v %v", v, err)
	}
	for _, bad := range []string{`{`, `{"a":}`, `[1,]`, `{"a":1} x`, "\"\xff\""} {
		if _, err := DecodeJSON([]byte(bad)); err == nil && bad != "\"\xff\"" {
			t.Errorf("%q decoded", bad)
		}
	}
	// Numbers are float64, as encoding/json makes them.
	if v, _ := DecodeJSON([]byte(`{"n": 12}`)); v.(map[string]any)["n"] != 12.0 {
		t.Errorf("number: %T", v.(map[string]any)["n"])
	}
}

func FuzzDecodeJSONAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{"b":"c"}]}`, `"x"`, `1e400`, `{"a":1}{`, `[[[[]]]]`, `{"\u00e9":"\ud800"}`, `[12345678901234567891,0.1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeJSON(b)
		var want any
		werr := json.Unmarshal(b, &want)
		if werr != nil {
			return // encoding/json refuses it; DecodeJSON may refuse it too, or be lenient in corners
		}
		if err != nil {
			if strings.Contains(err.Error(), "nested deeper") || strings.Contains(err.Error(), "more than") {
				return
			}
			t.Fatalf("encoding/json takes %q but DecodeJSON says %v", b, err)
		}
		// Numbers: encoding/json's literal, a float64 unless that would
		// round it.
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		want = nil
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		want = exactNumbers(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: DecodeJSON %#v, encoding/json %#v", b, got, want)
		}
	})
}

// jsonBytes writes what encoding/json writes (without HTML escaping), byte
// for byte: events must not change when the encoder does.
func TestJSONBytesMatchesEncodingJSON(t *testing.T) {
	tree := map[string]any{
		"z": 1.5, "a": []any{1e21, 1e-7, 0.1, -0.0, 12345678912345.0, int(7), int64(-9)},
		"html": "<a href='x'>&</a>", "uni": "é\u2028\u2029\x01", "nested": map[string]any{"b": nil, "a": true},
		"empty": map[string]any{}, "list": []any{},
	}
	got, _, err := jsonBytes(tree)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(buf.String(), "\n"); string(got) != want {
		t.Errorf("jsonBytes:\n%s\nencoding/json:\n%s", got, want)
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	body, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeJSON(body); err != nil {
			b.Fatal(err)
		}
	}
}
