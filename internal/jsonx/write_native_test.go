package jsonx

import (
	"encoding/json"
	"testing"
)

// A literal the decoder kept as a json.Number is written by Marshal
// itself, as it is; an empty one is no JSON and is left to goccy/go-json.
func TestMarshalWritesKeptLiteralsItself(t *testing.T) {
	got, native, err := Marshal(map[string]any{"n": json.Number("12345678901234567891"), "l": []any{json.Number("1e400")}})
	if err != nil || !native || string(got) != `{"l":[1e400],"n":12345678901234567891}` {
		t.Errorf("Marshal: %s native %v %v", got, native, err)
	}
	if _, native, _ := Marshal(json.Number("")); native {
		t.Errorf("an empty json.Number written natively")
	}
}
