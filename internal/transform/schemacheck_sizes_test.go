package transform

import (
	"fmt"
	"testing"
)

// Size bounds of 0 bound (an empty string, object or list only), and a
// value at a maximum is within it.
func TestSchemaCheckSizeBoundsAtTheEdges(t *testing.T) {
	for _, tc := range []struct {
		schema string
		values map[any]bool // value -> known valid
	}{
		{`{"maxLength": 0}`, map[any]bool{"": true, "x": false}},
		{`{"maxLength": 3}`, map[any]bool{"abc": true, "abcd": false}},
		{`{"minLength": 0, "maxLength": 1}`, map[any]bool{"": true, "é": true, "ab": false}},
	} {
		sch := compileSchema(t, tc.schema)
		c := newSchemaCheck(sch)
		for v, known := range tc.values {
			if got, _ := agree(t, fmt.Sprintf("%s %#v", tc.schema, v), sch, c, v); got != known {
				t.Errorf("%s %#v: known valid = %v, want %v", tc.schema, v, got, known)
			}
		}
	}
	for _, tc := range []struct {
		schema string
		values []any
		known  []bool
	}{
		{`{"maxProperties": 0}`, []any{map[string]any{}, map[string]any{"a": 1}}, []bool{true, false}},
		{`{"minProperties": 1}`, []any{map[string]any{}, map[string]any{"a": "x"}}, []bool{false, true}},
		{`{"maxItems": 0}`, []any{[]any{}, []any{"x"}}, []bool{true, false}},
		{`{"maxItems": 2}`, []any{[]any{"x", "y"}, []any{"x", "y", "z"}}, []bool{true, false}},
	} {
		sch := compileSchema(t, tc.schema)
		c := newSchemaCheck(sch)
		for i, v := range tc.values {
			if got, _ := agree(t, fmt.Sprintf("%s %#v", tc.schema, v), sch, c, v); got != tc.known[i] {
				t.Errorf("%s %#v: known valid = %v, want %v", tc.schema, v, got, tc.known[i])
			}
		}
	}
}

// Objects nest as lists do: each property, pattern property, additional
// property and property name is checked one level down, to maxCheckDepth.
func TestSchemaCheckDepthThroughObjects(t *testing.T) {
	nest := func(key string, levels int, inner any) any {
		v := inner
		for range levels {
			v = map[string]any{key: v}
		}
		return v
	}
	for _, tc := range []struct {
		name, schema, key string
		inner             any
		deepest           int // the most levels known valid
	}{
		// Each level: the property (1) and its $ref (1); the innermost {}
		// at depth 2×levels.
		{"properties", `{"type": "object", "properties": {"a": {"$ref": "#"}}}`, "a", map[string]any{}, maxCheckDepth / 2},
		{"patternProperties", `{"type": "object", "patternProperties": {"^a$": {"$ref": "#"}}}`, "a", map[string]any{}, maxCheckDepth / 2},
		{"additionalProperties", `{"type": "object", "additionalProperties": {"$ref": "#"}}`, "a", map[string]any{}, maxCheckDepth / 2},
		// The innermost key's name is checked one level below its object.
		{"propertyNames", `{"type": "object", "properties": {"a": {"$ref": "#"}}, "propertyNames": {"maxLength": 1}}`, "a",
			map[string]any{"b": 1}, (maxCheckDepth - 1) / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch := compileSchema(t, tc.schema)
			c := newSchemaCheck(sch)
			if ok, _ := agree(t, fmt.Sprint(tc.deepest, " levels"), sch, c, nest(tc.key, tc.deepest, tc.inner)); !ok {
				t.Errorf("%d levels: not known valid", tc.deepest)
			}
			if ok, _ := agree(t, fmt.Sprint(tc.deepest+1, " levels"), sch, c, nest(tc.key, tc.deepest+1, tc.inner)); ok {
				t.Errorf("%d levels: known valid past the bound", tc.deepest+1)
			}
		})
	}
}
