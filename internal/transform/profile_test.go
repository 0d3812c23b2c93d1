package transform

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// validProfileEvent is the profile's own example, in the bridge's canonical
// (dashed) form.
func validProfileEvent() map[string]any {
	return map[string]any{
		"specversion":     "1.0",
		"type":            "event.guardia.lke.ledger.created",
		"datacontenttype": "application/json",
		"source":          "https://my_tenant.guardia.finance/lke/api/v1/ledgers/019634679e5a708f8205e54411ba3200",
		"subject":         "ledger/01963467-9e5a-708f-8205-e54411ba3200",
		"id":              "01963467-9e5a-7977-8db1-1fb1f031fb3a",
		"time":            "2018-04-05T17:31:00Z",
		"dataschema":      "https://schemas.example.com/guardia/lke/ledger/created/v1.json",
		"idempotencykey":  "94f6ef1d-8b1a-4f70-9210-dfe2f84026f7",
		"data": map[string]any{
			"entity_id":          "01963467-9e5a-708f-8205-e54411ba3200",
			"entity_type":        "LEDGER",
			"external_entity_id": "9606e83f427b44c298192c0f110129bc",
		},
	}
}

func marshalEvent(t *testing.T, e map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The validator is the oracle of many tests: each rule of the profile
// rejects what breaks it, and only that rule fails.
func TestCheckProfileRejectsEachBrokenRule(t *testing.T) {
	if err := ValidateProfile(marshalEvent(t, validProfileEvent())); err != nil {
		t.Fatalf("the profile's example: %v", err)
	}
	noSchema := validProfileEvent()
	delete(noSchema, "dataschema")
	if err := ValidateProfile(marshalEvent(t, noSchema)); err != nil {
		t.Fatalf("dataschema is optional: %v", err)
	}

	set := func(k string, v any) func(map[string]any) { return func(e map[string]any) { e[k] = v } }
	del := func(k string) func(map[string]any) { return func(e map[string]any) { delete(e, k) } }
	setData := func(k string, v any) func(map[string]any) {
		return func(e map[string]any) { e["data"].(map[string]any)[k] = v }
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		rule   string // the one rule that must fail
		msg    string // in its error
	}{
		{"specversion 0.3", set("specversion", "0.3"), "specversion", "must be 1.0"},
		{"specversion missing", del("specversion"), "specversion", "must be 1.0"},
		{"id not a UUID", set("id", "evt_1"), "id", "not a canonical UUID"},
		{"id a UUID v4", set("id", "94f6ef1d-8b1a-4f70-9210-dfe2f84026f7"), "id", "v4, want v7"},
		{"id without dashes", set("id", "019634679e5a79778db11fb1f031fb3a"), "id", "not a canonical UUID"},
		{"id of another variant", set("id", "01963467-9e5a-7977-cdb1-1fb1f031fb3a"), "id", "not an RFC 9562 UUID"},
		{"source relative", set("source", "/lke/api/v1/ledgers/1"), "source", "not an absolute URI"},
		{"source not a URI", set("source", "not a uri"), "source", "not an absolute URI"},
		{"source scheme only", set("source", "https:"), "source", "not an absolute URI"},
		{"type with four tokens", set("type", "event.guardia.lke.ledger"), "type", "event.<provider>"},
		{"type in upper case", set("type", "event.guardia.lke.Ledger.created"), "type", "lower case"},
		{"type without its prefix", set("type", "guardia.lke.ledger.created.v1"), "type", "event.<provider>"},
		{"datacontenttype text", set("datacontenttype", "text/plain"), "datacontenttype", "application/json"},
		{"datacontenttype with parameters", set("datacontenttype", "application/json; charset=utf-8"), "datacontenttype", "application/json"},
		{"dataschema relative", set("dataschema", "schemas/ledger.json"), "dataschema", "not an absolute URI"},
		{"subject without entity", set("subject", "ledger"), "subject", "<entity_type>/<entity UUID>"},
		{"subject with a provider id", set("subject", "ledger/9606e83f"), "subject", "<entity_type>/<entity UUID>"},
		{"subject of another entity type", set("subject", "account/01963467-9e5a-708f-8205-e54411ba3200"), "subject", `differs from the type's "ledger"`},
		{"time not RFC 3339", set("time", "2018-04-05 17:31:00"), "time", "not RFC 3339"},
		{"time out of range", set("time", "2018-13-05T17:31:00Z"), "time", "not RFC 3339"},
		{"time missing", del("time"), "time", "not RFC 3339"},
		{"idempotencykey missing", del("idempotencykey"), "idempotencykey", "must be a UUID"},
		{"idempotencykey not a UUID", set("idempotencykey", "delivery-1"), "idempotencykey", "must be a UUID"},
		{"idempotencykey a number", set("idempotencykey", 42), "idempotencykey", "must be a UUID"},
		{"idempotencykey without dashes", set("idempotencykey", "94f6ef1d8b1a4f709210dfe2f84026f7"), "idempotencykey", "must be a UUID"},
		{"data a list", set("data", []any{1}), "data", "JSON object"},
		{"data a string", set("data", "{}"), "data", "JSON object"},
		{"data null", set("data", nil), "data", "JSON object"},
		{"data missing", del("data"), "data", "JSON object"},
		{"data.entity_id not a UUID", setData("entity_id", "9606e83f"), "data.entity_id", "entity's UUID"},
		{"data.entity_id a number", setData("entity_id", 7), "data.entity_id", "entity's UUID"},
		{"size at the bound", setData("pad", ""), "size", "fewer than 12288"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := validProfileEvent()
			tc.mutate(e)
			if tc.rule == "size" {
				padTo(t, e, MaxEventSize)
			}
			var failed []Check
			for _, c := range CheckProfile(marshalEvent(t, e)) {
				if !c.OK {
					failed = append(failed, c)
				}
			}
			if len(failed) != 1 || failed[0].Rule != tc.rule || !strings.Contains(failed[0].Error, tc.msg) {
				t.Fatalf("failed checks %+v, want only %s with %q", failed, tc.rule, tc.msg)
			}
			if err := ValidateProfile(marshalEvent(t, e)); err == nil || !strings.HasPrefix(err.Error(), tc.rule+": ") {
				t.Fatalf("ValidateProfile = %v, want an error on %s", err, tc.rule)
			}
		})
	}

	t.Run("one byte under the bound", func(t *testing.T) {
		e := validProfileEvent()
		padTo(t, e, MaxEventSize-1)
		if err := ValidateProfile(marshalEvent(t, e)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		cs := CheckProfile([]byte(`{"id":`))
		if len(cs) != 1 || cs[0].Rule != "json" || cs[0].OK {
			t.Fatalf("checks %+v", cs)
		}
	})
}

// padTo grows data.pad until the serialized event is size bytes.
func padTo(t *testing.T, e map[string]any, size int) {
	t.Helper()
	d := e["data"].(map[string]any)
	d["pad"] = ""
	n := len(marshalEvent(t, e))
	d["pad"] = strings.Repeat("x", size-n)
	if got := len(marshalEvent(t, e)); got != size {
		t.Fatalf("padded to %d bytes, want %d", got, size)
	}
}

// The JSON writer's fast path refuses what encoding/json refuses and hands
// what it does not know to the fallback; it never writes a wrong value.
func TestJSONBytesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		v      any
		native bool
		err    bool
		want   string
	}{
		{"NaN", map[string]any{"a": math.NaN()}, false, true, ""},
		{"+Inf", []any{math.Inf(1)}, false, true, ""},
		{"-Inf deep", map[string]any{"a": []any{map[string]any{"b": math.Inf(-1)}}}, false, true, ""},
		{"a type of its own", map[string]any{"a": struct{ B int }{1}}, false, false, `{"a":{"B":1}}`},
		{"uint", []any{uint(3)}, false, false, `[3]`},
		{"json.Number", map[string]any{"n": json.Number("12345678901234567891")}, true, false, `{"n":12345678901234567891}`},
		{"nil map and list", map[string]any{"m": map[string]any(nil), "l": []any(nil)}, true, false, `{"l":null,"m":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, native, err := jsonx.Marshal(tc.v)
			if (err != nil) != tc.err || native != tc.native {
				t.Fatalf("native %v err %v, want native %v err %v", native, err, tc.native, tc.err)
			}
			if !tc.err && string(b) != tc.want {
				t.Fatalf("wrote %s, want %s", b, tc.want)
			}
		})
	}
}
