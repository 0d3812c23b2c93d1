package transform

import (
	"testing"
)

// Data the compiled check knows valid is not validated again: validateData
// then allocates nothing, where the validator alone allocates for every
// call. (The answers are the same either way; only the cost tells whether
// the check was consulted.)
func TestValidateDataConsultsTheCheck(t *testing.T) {
	sch := compileSchema(t, `{"type": "object", "required": ["amount", "currency"],
		"properties": {"amount": {"type": "integer", "minimum": 0}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
		"tags": {"type": "array", "items": {"type": "string"}}}}`)
	check := newSchemaCheck(sch)
	data := map[string]any{"amount": int64(1250), "currency": "EUR", "tags": []any{"a", "b"}}
	if !check.valid(data) {
		t.Fatal("the check does not know the test's data valid: the test proves nothing")
	}
	run := func(c *schemaCheck) float64 {
		return testing.AllocsPerRun(50, func() {
			if err := validateData(sch, c, data, nil, true); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := run(check); n != 0 {
		t.Fatalf("validateData with the check allocates %v times per call, want 0: the validator ran on data the check knows valid", n)
	}
	if n := run(nil); n == 0 {
		t.Fatal("the validator alone allocates nothing: the test cannot tell whether the check was consulted")
	}
}
