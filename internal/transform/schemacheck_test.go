package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles one schema document as the loader's compiler does
// (draft 2020-12 by default, formats asserted).
func compileSchema(t testing.TB, doc string) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("file:///s.json", v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///s.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// agree fails when the check calls v valid and the validator does not:
// the one thing the check must never do.
func agree(t testing.TB, where string, sch *jsonschema.Schema, c *schemaCheck, v any) (checkValid, valid bool) {
	t.Helper()
	checkValid, valid = c.valid(v), sch.Validate(v) == nil
	if checkValid && !valid {
		t.Errorf("%s: the check passes %#v, the validator says %v", where, v, sch.Validate(v))
	}
	return checkValid, valid
}

func TestSchemaCheck(t *testing.T) {
	type value struct {
		v     any
		known bool // the check must know it valid (the validator agrees: see agree)
	}
	tests := []struct {
		name   string
		schema string
		values []value
	}{
		{"type and bounds", `{"type": "integer", "minimum": 0, "exclusiveMaximum": 10}`, []value{
			{0, true}, {int64(9), true}, {float64(3), true}, {json.Number("4"), true},
			{-1, false}, {10, false}, {3.5, false}, {"3", false}, {nil, false}, {math.NaN(), false}, {json.Number("4.0"), false},
		}},
		{"a bound that is no float64", `{"type": "number", "minimum": 0.1}`, []value{
			{1, true}, {0.0, false}, {0.5, false}, {0.1, false}, {0, false}, {-3, false},
		}},
		{"a float bound", `{"type": "number", "maximum": 2.5}`, []value{
			{2.25, true}, {2, true}, {2.5, false}, {2.75, false}, {-1e300, true},
		}},
		{"strings", `{"type": ["string", "null"], "minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$"}`, []value{
			{"ab", true}, {"éé", true}, {nil, true}, {"a", false}, {"abcd", false}, {"AB", false}, {1, false},
		}},
		{"format", `{"type": "string", "format": "date-time"}`, []value{
			{"2026-12-06T11:00:00Z", true}, {"2026-13-06T11:00:00Z", false}, {"yesterday", false},
		}},
		{"const and enum", `{"properties": {"c": {"const": "X"}, "e": {"enum": ["a", true, null]}, "n": {"const": 1}}}`, []value{
			{map[string]any{"c": "X", "e": "a"}, true}, {map[string]any{"e": true}, true}, {map[string]any{"e": nil}, true},
			{map[string]any{"c": "Y"}, false}, {map[string]any{"e": "b"}, false}, {map[string]any{"e": false}, false},
			{map[string]any{"n": 1}, false}, // numbers are compared by the validator
		}},
		{"objects", `{"type": "object", "required": ["a"], "minProperties": 1, "maxProperties": 3,
			"properties": {"a": {"type": "string"}}, "patternProperties": {"^x_": {"type": "integer"}},
			"propertyNames": {"maxLength": 4}, "additionalProperties": {"type": "boolean"}}`, []value{
			{map[string]any{"a": "1"}, true}, {map[string]any{"a": "1", "x_1": 2, "b": true}, true},
			{map[string]any{}, false}, {map[string]any{"b": true}, false}, {map[string]any{"a": 1}, false},
			{map[string]any{"a": "1", "x_1": "2"}, false}, {map[string]any{"a": "1", "b": "2"}, false},
			{map[string]any{"a": "1", "longname": true}, false}, {map[string]any{"a": "1", "b": true, "c": true, "d": true}, false},
		}},
		{"no additional properties", `{"properties": {"a": {}}, "additionalProperties": false}`, []value{
			{map[string]any{"a": []any{1}}, true}, {map[string]any{"b": 1}, false},
		}},
		{"arrays", `{"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}}`, []value{
			{[]any{"a"}, true}, {[]any{"a", "b"}, true}, {[]any{}, false}, {[]any{"a", 1}, false}, {[]any{"a", "b", "c"}, false},
		}},
		{"refs, allOf and anyOf", `{"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "integer"}}}},
			"allOf": [{"$ref": "#/$defs/node"}], "anyOf": [{"required": ["v"]}, {"required": ["next"]}]}`, []value{
			{map[string]any{"v": 1}, true}, {map[string]any{"next": map[string]any{"next": map[string]any{"v": 2}}}, true},
			{map[string]any{}, false}, {map[string]any{"next": map[string]any{"v": "x"}}, false},
		}},
		{"boolean schemas", `{"properties": {"yes": true, "no": false}}`, []value{
			{map[string]any{"yes": 1}, true}, {map[string]any{"no": 1}, false},
		}},
		{"a keyword the check leaves to the validator", `{"oneOf": [{"type": "string"}, {"type": "integer"}]}`, []value{
			{"a", false}, {1, false}, {true, false},
		}},
		{"uniqueItems", `{"type": "array", "uniqueItems": true}`, []value{
			{[]any{"a", "b", true, nil}, true}, {[]any{}, true}, {[]any{"a", "a"}, false}, {[]any{nil, nil}, false},
			{[]any{1, 2}, false}, // numbers are compared by the validator
		}},
		{"other Go types are left to the validator", `{"type": "number"}`, []value{
			{uint8(1), false}, {map[string]string{}, false}, {float32(1), false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			c := newSchemaCheck(sch)
			for _, v := range tc.values {
				checkValid, _ := agree(t, fmt.Sprintf("%#v", v.v), sch, c, v.v)
				if checkValid != v.known {
					t.Errorf("%#v: the check says known valid = %v, want %v", v.v, checkValid, v.known)
				}
			}
		})
	}
}

// TestSchemaCheckOfShippedSchemas holds every shipped rule's schema check to
// its validator on the fixtures' data and on many variants of it, and
// holds that the fixtures' data takes the fast path (the check is not
// opaque for the schemas users start from).
func TestSchemaCheckOfShippedSchemas(t *testing.T) {
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			if r.schema == nil {
				continue
			}
			for _, f := range r.Tests {
				if f.Expect == "" {
					continue
				}
				rules++
				for i, data := range fixtureData(t, f.Expect) {
					where := fmt.Sprintf("%s rule %s, %s event %d", p, r.Name, f.Expect, i)
					if checkValid, valid := agree(t, where, r.schema, r.check, data); !checkValid || !valid {
						t.Errorf("%s: the fixture's data: check %v, validator %v: want both valid", where, checkValid, valid)
					}
					known, rejected := 0, 0
					for _, v := range variants(data) {
						checkValid, valid := agree(t, where, r.schema, r.check, v)
						if checkValid {
							known++
						}
						if !valid {
							rejected++
						}
					}
					if known == 0 || rejected == 0 {
						t.Errorf("%s: of the variants, %d known valid and %d rejected: the test tells nothing", where, known, rejected)
					}
				}
			}
		}
	}
	if rules == 0 {
		t.Fatal("no shipped rule with a schema and a fixture")
	}
}

// fixtureData reads the data of each event of an expect file, as
// encoding/json decodes it (float64 numbers) and as jsonschema does
// (json.Number).
func fixtureData(t *testing.T, path string) []any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &evs); err != nil {
		var ev struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		evs = append(evs, ev)
	}
	var out []any
	for _, ev := range evs {
		var f any
		if err := json.Unmarshal(ev.Data, &f); err != nil {
			t.Fatal(err)
		}
		n, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f, n)
	}
	return out
}

// variants returns copies of v each changed at one place: a value replaced
// by values of every JSON type and at the edges of common bounds, a key
// removed, a key added.
func variants(v any) []any {
	repl := []any{nil, true, false, "", "x", "SUCCEEDED", strings.Repeat("é", 501), 0, -1, 1, 1.5, -0.5, 1e21,
		json.Number("2"), json.Number("-3"), json.Number("2.5"), int64(math.MaxInt64), map[string]any{}, []any{}, []any{"x"},
		"2026-12-06T11:00:00Z", "01234567-89ab-cdef-0123-456789abcdef", "not a date", "AB", "abc"}
	var out []any
	var walk func(cur any, set func(any) any)
	walk = func(cur any, set func(any) any) {
		for _, r := range repl {
			out = append(out, set(r))
		}
		switch x := cur.(type) {
		case map[string]any:
			out = append(out, set(withKey(x, "zz_added", "x")))
			for k, e := range x {
				out = append(out, set(withoutKey(x, k)))
				walk(e, func(nv any) any { return set(withKey(x, k, nv)) })
			}
		case []any:
			for i, e := range x {
				walk(e, func(nv any) any {
					c := append([]any(nil), x...)
					c[i] = nv
					return set(c)
				})
			}
		}
	}
	walk(v, func(nv any) any { return nv })
	return out
}

func withKey(m map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for mk, mv := range m {
		c[mk] = mv
	}
	c[k] = v
	return c
}

func withoutKey(m map[string]any, k string) map[string]any {
	c := withKey(m, k, nil)
	delete(c, k)
	return c
}

// FuzzSchemaCheck: whatever JSON value, the check never passes what a
// shipped schema's validator rejects.
func FuzzSchemaCheck(f *testing.F) {
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		f.Fatal(err)
	}
	type pair struct {
		sch *jsonschema.Schema
		c   *schemaCheck
	}
	var schemas []pair
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			if r.schema != nil {
				schemas = append(schemas, pair{r.schema, r.check})
				for _, fx := range r.Tests {
					if raw, err := os.ReadFile(fx.Expect); err == nil {
						f.Add(raw)
					}
				}
			}
		}
	}
	f.Add([]byte(`{"amount": 1, "currency": "BRL", "metadata": {"a": "b"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var top any
		if json.Unmarshal(raw, &top) != nil {
			return
		}
		vals := []any{top}
		if evs, ok := top.([]any); ok {
			for _, ev := range evs {
				if m, ok := ev.(map[string]any); ok {
					vals = append(vals, m["data"])
				}
			}
		}
		if n, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err == nil {
			vals = append(vals, n)
		}
		for _, s := range schemas {
			for _, v := range vals {
				agree(t, "fuzz", s.sch, s.c, v)
			}
		}
	})
}

func BenchmarkSchemaCheck(b *testing.B) {
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := set.Mapping("stripe")
	for _, r := range m.Rules() {
		if r.Name != "charge.succeeded" {
			continue
		}
		raw, err := os.ReadFile(r.Tests[0].Expect)
		if err != nil {
			b.Fatal(err)
		}
		var evs []map[string]any
		if err := json.Unmarshal(raw, &evs); err != nil {
			b.Fatal(err)
		}
		data := evs[0]["data"]
		b.Run("check", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !r.check.valid(data) {
					b.Fatal("not known valid")
				}
			}
		})
		b.Run("validator", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.schema.Validate(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
