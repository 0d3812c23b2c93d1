package transform

import (
	"flag"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected events of the example mappings' fixtures")

// TestExampleMappings runs every fixture of the shipped mappings (mappings/
// with the payloads and golden events in examples/): the golden-file tests
// of the example providers. go test ./internal/transform -run TestExampleMappings -update
// rewrites the golden files.
func TestExampleMappings(t *testing.T) {
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", LookupEnv: func(string) (string, bool) { return "whsec_test", true }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range set.Catalog() {
		if e.SchemaFile == "" {
			t.Errorf("%s (%s:%d) has no local schema for %s", e.Type, e.File, e.Line, e.DataSchema)
		}
	}
	results := set.RunFixtures(*update)
	if len(results) == 0 {
		t.Fatal("the example mappings have no fixtures")
	}
	for _, r := range results {
		t.Run(r.Mapping.Provider+"/"+r.Rule.Name+"/"+r.Fixture.Expect, func(t *testing.T) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if r.Updated {
				t.Logf("wrote %s", r.Fixture.Expect)
			}
		})
	}
}
