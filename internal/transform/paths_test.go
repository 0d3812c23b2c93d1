package transform

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// paths lists what a pathNode reads, one "a.b.c" per whole value, sorted.
func (n *pathNode) paths(prefix string) []string {
	if n.whole {
		return []string{prefix}
	}
	var out []string
	for k, kid := range n.kids {
		out = append(out, kid.paths(prefix+"."+k)...)
	}
	slices.Sort(out)
	return out
}

func TestReadPaths(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"member chains", `payload.a.b == "x" && payload.a?.c["d"] != nil && payload.e == 1`, []string{"payload.a.b", "payload.a.c.d", "payload.e"}},
		{"a chain read as a value", `len(payload.a) > 0 && payload.a.b == 1`, []string{"payload.a"}},
		{"a computed key", `payload.list[0] == 1 && payload.m[provider] == 2`, []string{"payload.list", "payload.m"}},
		{"payload whole", `toJSON(payload) != ""`, []string{"payload"}},
		{"$env", `$env.payload.a == 1`, []string{"payload"}},
		{"let", `let o = payload.data.object; o.id == "x"`, []string{"payload.data.object"}},
		{"closure", `any(payload.items, .sku == "a")`, []string{"payload.items"}},
		{"no payload", `headers["X"] == "1"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "provider: p\nmodule: m\naccepts: [nats]\nrules:\n  - when: '" + strings.ReplaceAll(tc.yaml, "'", "''") + "'\n    entity_type: e\n    event_name: n\n    entity_id: '\"1\"'\n    source: '\"https://x\"'\n"
			m, problems := Parse("t.yaml", []byte(src), Options{LookupEnv: func(string) (string, bool) { return "", false }})
			if len(problems) > 0 {
				t.Fatal((&LoadError{problems}).Error())
			}
			if got := m.reads.paths("payload"); !slices.Equal(got, tc.want) {
				t.Errorf("reads %q, want %q", got, tc.want)
			}
		})
	}
}

// projectAny is what decodeRead must give: the full decode cut to need.
func projectAny(v any, n *pathNode) any {
	o, isObj := v.(map[string]any)
	if n.whole || !isObj {
		return v
	}
	out := map[string]any{}
	for k, kid := range n.kids {
		if x, ok := o[k]; ok {
			out[k] = projectAny(x, kid)
		}
	}
	return out
}

// FuzzDecodeReadAgreesWithDecodeJSON: a body decodeRead takes, DecodeJSON
// takes, and the values the expressions read are the same; a body one
// refuses, both refuse with the same error.
func FuzzDecodeReadAgreesWithDecodeJSON(f *testing.F) {
	stripe, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stripe)
	for _, s := range []string{`{"type":"x","data":{"object":{"id":"a","amount":1e400}}}`, `{"data":5}`, `{"data":{"object":[1]}}`,
		`{"id":"a","id":"b","data":{"object":{"id":1},"object":{"metadata":{"k":"v"}}}}`, `{"type":"\u00e9\ud800"}`, "{\"type\":\"\xff\"}",
		`[1,2]`, `{"a":01}`, `{"a":1.}`, `{"a":"x` + "\x01" + `"}`, `{"a":NaN}`, `{"type":"é"} x`, `  {"created": -0.0, "livemode": true, "data": {"object": {"metadata": {}}}}  `} {
		f.Add([]byte(s))
	}
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		f.Fatal(err)
	}
	m, _ := set.Mapping("stripe")
	if m.reads.whole {
		f.Fatal("the stripe mapping reads its payloads whole")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gerr := decodeRead(body, m.reads)
		full, ferr := DecodeJSON(body)
		if (gerr != nil) != (ferr != nil) {
			t.Fatalf("%q: decodeRead error %v, DecodeJSON error %v", body, gerr, ferr)
		}
		if ferr != nil {
			if gerr.Error() != ferr.Error() {
				t.Fatalf("%q: decodeRead says %q, DecodeJSON %q", body, gerr, ferr)
			}
			return
		}
		// What the expressions can read is the same (a body decodeRead
		// leaves to DecodeJSON is decoded whole).
		if got, want := projectAny(got, m.reads), projectAny(full, m.reads); !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("%q:\ndecodeRead %s\nwant       %s", body, gj, wj)
		}
	})
}

// The shipped mappings read parts of their payloads, so their deliveries
// are decoded in part.
func TestShippedMappingsReadInPart(t *testing.T) {
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		if m.reads.whole {
			t.Errorf("%s reads its payloads whole", m.File)
		}
		if got := m.reads.paths("payload"); p == "stripe" && !slices.Contains(got, "payload.data.object.payment_method_details.card.last4") {
			t.Errorf("stripe reads %q", got)
		}
	}
}

func BenchmarkDecodeRead(b *testing.B) {
	body, err := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	if err != nil {
		b.Fatal(err)
	}
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := set.Mapping("stripe")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := m.Decode("application/json", body); err != nil {
			b.Fatal(err)
		}
	}
}

// checkJSONLimitsByteByByte is the plain reading of the limits, which
// checkJSONLimits must agree with.
func checkJSONLimitsByteByByte(body []byte) (depthErrAt, keysErrAt, valuesErrAt int) {
	depth, keys, values := 0, 0, 1
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth++; depth > MaxJSONDepth {
				return i, -1, -1
			}
			if values++; values > MaxJSONValues {
				return -1, -1, i
			}
		case ',':
			if values++; values > MaxJSONValues {
				return -1, -1, i
			}
		case '}', ']':
			depth--
		case ':':
			if keys++; keys > MaxJSONKeys {
				return -1, i, -1
			}
		}
	}
	return -1, -1, -1
}

func FuzzCheckJSONLimits(f *testing.F) {
	f.Add([]byte(`{"a\"b\\":[[["x"]]],"c":"\\\\"}`))
	f.Add([]byte(strings.Repeat("[", 70)))
	f.Add([]byte(`"\\"` + strings.Repeat("{", 65)))
	f.Add([]byte(`{"a":"unterminated`))
	f.Add([]byte(`[` + strings.Repeat("{},", MaxJSONValues) + `{}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkJSONLimits(body)
		d, k, v := checkJSONLimitsByteByByte(body)
		var want string
		switch {
		case d >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: nested deeper than %d levels", d, MaxJSONDepth)
		case k >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: more than %d keys", k, MaxJSONKeys)
		case v >= 0:
			want = fmt.Sprintf("invalid JSON at byte %d: more than %d values", v, MaxJSONValues)
		}
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Fatalf("%q: got %q, want %q", body, got, want)
		}
	})
}
