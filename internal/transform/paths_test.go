package transform

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

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
			if got := m.reads.List("payload"); !slices.Equal(got, tc.want) {
				t.Errorf("reads %q, want %q", got, tc.want)
			}
		})
	}
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
		if m.reads.Whole() {
			t.Errorf("%s reads its payloads whole", m.File)
		}
		if got := m.reads.List("payload"); p == "stripe" && !slices.Contains(got, "payload.data.object.payment_method_details.card.last4") {
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

// A file's expressions read headers when one names them or $env; the
// environment of the others is given no header map.
func TestReadsIdentifier(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`headers["X-A"]`, true},
		{`$env.headers`, true},
		{`$env["payload"]`, true},
		{`payload.headers`, false},
		{`"headers"`, false},
		{`payload.a`, false},
	} {
		prog, err := expr.Compile(tc.src, append([]expr.Option{expr.Env(env{})}, functions(nil)...)...)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := readsIdentifier(prog.Node(), "headers"); got != tc.want {
			t.Errorf("%s: reads headers = %v, want %v", tc.src, got, tc.want)
		}
	}
}
