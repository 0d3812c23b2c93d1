package transform

import (
	"encoding/json"
	"math"
	"testing"
)

// appendJSONFloat writes every float as encoding/json does, on both sides
// of the bounds where it switches to the exponent form (1e-6 and 1e21).
func TestAppendJSONFloatAsEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 123.456, 1e-6, 1e-7, 9.99e-7, -1e-6, -1e-7, 1e20, 1e21, 9.99e20, -1e21, 1e-10,
		1.5e-300, 1e300, math.SmallestNonzeroFloat64, math.MaxFloat64, 1 << 53} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendJSONFloat([]byte("x"), f)
		if !ok || string(got) != "x"+string(want) {
			t.Errorf("appendJSONFloat(%v) = %q, %v; want %q", f, got, ok, "x"+string(want))
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, ok := appendJSONFloat(nil, f); ok {
			t.Errorf("appendJSONFloat(%v) ok, want refused", f)
		}
	}
}
