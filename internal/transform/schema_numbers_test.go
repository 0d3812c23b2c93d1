package transform

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A number the validator would read as a huge big.Rat (a long literal, a
// large exponent) is refused naming where it is, without the validator;
// others are validated as ever. (Attack of 2026-12-06: 1e-999999 passed
// from a payload to data cost the validator seconds.)
func TestUnvalidatableNumbers(t *testing.T) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("s.json", map[string]any{"type": "object", "properties": map[string]any{
		"amount": map[string]any{"type": "integer"}, "list": map[string]any{"type": "array"}}}); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("s.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data map[string]any
		want string // in the error; "" for none
	}{
		{"a long integer", map[string]any{"amount": json.Number("12345678901234567890")}, ""},
		{"a small exponent", map[string]any{"amount": json.Number("1e300")}, ""},
		{"not an integer", map[string]any{"amount": json.Number("1.5e-300")}, "/data/amount"},
		{"a tiny exponent", map[string]any{"amount": json.Number("1e-999999")}, "/data/amount: a number of more than 400 characters, or with an exponent beyond ±999"},
		{"a huge exponent in a list", map[string]any{"list": []any{1.0, json.Number("-2E+0001000")}}, "/data/list/1: "},
		{"a long literal under a key to escape", map[string]any{"a/b~c": json.Number(strings.Repeat("9", 401))}, "/data/a~1b~0c: "},
	} {
		err := validateData(sch, nil, tc.data, nil, true)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
