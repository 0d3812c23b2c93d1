package transform_test

import (
	"os"
	"testing"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/transform"
)

// BenchmarkApply measures the whole transform of one delivery per example
// fixture: decoding the body, rule matching, every expression, entity and
// key derivation, building, validating (profile and JSON Schema) and
// serializing the event(s).
func BenchmarkApply(b *testing.B) {
	set, err := transform.Load("../../mappings", transform.Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			if r.Drop || len(r.Tests) == 0 {
				continue
			}
			f := r.Tests[0]
			body, err := os.ReadFile(f.Payload)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(p+"/"+r.Name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					in, err := fixture.Input(m, f, body) // decodes the body as its ingestor would
					if err != nil {
						b.Fatal(err)
					}
					res := m.Apply(in)
					if res.Failure != nil || len(res.Events) == 0 {
						b.Fatalf("%v", res.Failure)
					}
				}
			})
		}
	}
}

func BenchmarkCheckProfile(b *testing.B) {
	raw, err := os.ReadFile("../../examples/stripe/charge.succeeded.event.json")
	if err != nil {
		b.Fatal(err)
	}
	// The golden file is an array without ids; check one full event.
	set, _ := transform.Load("../../mappings", transform.Options{LookupEnv: func(string) (string, bool) { return "s", true }})
	m, _ := set.Mapping("stripe")
	body, _ := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	payload, _ := jsonx.Decode(body)
	ev := m.Apply(transform.Input{Provider: "stripe", Body: body, Payload: payload, ReceivedAt: fixture.Time}).Events[0]
	_ = raw
	b.ReportAllocs()
	for b.Loop() {
		if err := transform.ValidateProfile(ev.JSON); err != nil {
			b.Fatal(err)
		}
	}
}
