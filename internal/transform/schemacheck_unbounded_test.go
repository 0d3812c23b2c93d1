package transform

import (
	"fmt"
	"testing"
)

// Without minProperties, maxProperties, minItems, maxItems, minLength or
// maxLength, the check bounds nothing: empty and longer values alike are
// known valid.
func TestSchemaCheckWithoutSizeBounds(t *testing.T) {
	sch := compileSchema(t, `{"type": "object", "properties": {"a": {"type": "array"}, "s": {"type": "string"}}}`)
	c := newSchemaCheck(sch)
	for _, v := range []any{
		map[string]any{},
		map[string]any{"a": []any{}, "s": ""},
		map[string]any{"a": []any{"x", "y", "z"}, "s": "abc", "other": 1},
	} {
		if checkValid, _ := agree(t, fmt.Sprintf("%#v", v), sch, c, v); !checkValid {
			t.Errorf("%#v: not known valid", v)
		}
	}
}
