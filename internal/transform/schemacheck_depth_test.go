package transform

import (
	"fmt"
	"testing"
)

// The check follows the data and the schema's $ref, allOf and anyOf down
// to maxCheckDepth, each step one level: a list nested as deep as the
// bound allows is known valid, one level more is left to the validator.
func TestSchemaCheckDepthBound(t *testing.T) {
	nest := func(levels int) any {
		var v any = []any{}
		for range levels {
			v = []any{v}
		}
		return v
	}
	for _, tc := range []struct {
		name, schema string
		perLevel     int // check levels per list level
	}{
		{"$ref", `{"type": "array", "items": {"$ref": "#"}}`, 2},
		{"allOf", `{"type": "array", "items": {"allOf": [{"$ref": "#"}]}}`, 3},
		{"anyOf", `{"type": "array", "items": {"anyOf": [{"$ref": "#"}]}}`, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			c := newSchemaCheck(sch)
			deepest := maxCheckDepth / tc.perLevel
			if ok, _ := agree(t, fmt.Sprint(deepest, " levels"), sch, c, nest(deepest)); !ok {
				t.Errorf("%d levels (check depth %d): not known valid", deepest, deepest*tc.perLevel)
			}
			if ok, _ := agree(t, fmt.Sprint(deepest+1, " levels"), sch, c, nest(deepest+1)); ok {
				t.Errorf("%d levels (check depth %d): known valid past the bound", deepest+1, (deepest+1)*tc.perLevel)
			}
		})
	}
}
