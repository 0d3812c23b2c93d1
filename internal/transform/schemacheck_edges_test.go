package transform

import (
	"fmt"
	"testing"
)

// uniqueItems is decided by the check up to maxUniqueItems elements, and
// left to the validator past them.
func TestSchemaCheckUniqueItemsBound(t *testing.T) {
	sch := compileSchema(t, `{"type": "array", "uniqueItems": true}`)
	c := newSchemaCheck(sch)
	list := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprint("s", i)
		}
		return out
	}
	if ok, _ := agree(t, "at the bound", sch, c, list(maxUniqueItems)); !ok {
		t.Errorf("%d distinct strings: not known valid", maxUniqueItems)
	}
	if ok, _ := agree(t, "past the bound", sch, c, list(maxUniqueItems+1)); ok {
		t.Errorf("%d distinct strings: known valid past the bound", maxUniqueItems+1)
	}
}

// An integral float up to 2^53 is compared as the integer it is, so it is
// known within a bound that is no float64.
func TestSchemaCheckIntegralFloatAtTwoToThe53(t *testing.T) {
	sch := compileSchema(t, `{"type": "number", "maximum": 9007199254740993}`)
	c := newSchemaCheck(sch)
	for _, v := range []float64{1 << 53, 1<<53 - 1} {
		if ok, _ := agree(t, fmt.Sprint(v), sch, c, v); !ok {
			t.Errorf("%v: not known valid", v)
		}
	}
}
