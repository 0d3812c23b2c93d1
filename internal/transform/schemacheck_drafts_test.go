package transform

import (
	"fmt"
	"testing"
)

// Drafts: a draft-07 schema is checked, but not one with a $ref (there
// $ref's siblings are ignored, which the check does not model); from
// 2019-09 on, $ref is checked beside its siblings.
func TestSchemaCheckDrafts(t *testing.T) {
	for _, tc := range []struct {
		name, schema string
		v            any
		known        bool
	}{
		{"draft-07", `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}`, "x", true},
		{"draft-07 with a $ref", `{"$schema": "http://json-schema.org/draft-07/schema#",
			"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 0}`, "x", false},
		{"2019-09 with a $ref", `{"$schema": "https://json-schema.org/draft/2019-09/schema",
			"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 3}`, "x", true},
		{"2020-12 with a $ref", `{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s"}`, "x", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			if checkValid, _ := agree(t, fmt.Sprintf("%#v", tc.v), sch, newSchemaCheck(sch), tc.v); checkValid != tc.known {
				t.Errorf("known valid = %v, want %v", checkValid, tc.known)
			}
		})
	}
}
