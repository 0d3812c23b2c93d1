package transform

import (
	"strings"
	"testing"
)

// The built-ins whose cost is not the size of what they build: fromJSON is
// charged twice its text plus fromJSONValueBytes per decoded value, matches
// (input bytes + 1) × the pattern's program size / matchBytesPerStep steps,
// trim with a cut set (string bytes × cut bytes) / trimPairsPerStep steps.
func TestScanningBuiltinCost(t *testing.T) {
	kib16 := strings.Repeat("a", 16<<10)
	for _, tc := range []struct {
		name         string
		args         []any
		steps, bytes int64
	}{
		// 13 bytes of text, 4 values (the list, 1, the object, "b").
		{"fromJSON", []any{`[1,{"a":"b"}]`}, 1, 2*13 + 4*fromJSONValueBytes},
		// a+b compiles to 5 instructions: 1 + 1024×5/128.
		{"matches", []any{strings.Repeat("a", 1023), "a+b"}, 1 + 1024*5/matchBytesPerStep, 0},
		// 16 KiB read (16 steps), then 16 Ki × 2 pairs / 16 Ki; trim builds
		// a string: twice the bytes of its arguments.
		{"trim", []any{kib16, "ab"}, 1 + 16 + 2, 2 * (16<<10 + 2)},
	} {
		steps, bytes := cost(tc.name, tc.args, 1<<20)
		if steps != tc.steps || bytes != tc.bytes {
			t.Errorf("cost(%s) = %d steps, %d bytes; want %d, %d", tc.name, steps, bytes, tc.steps, tc.bytes)
		}
	}
}

// tooDeep walks typed lists whose elements hold lists or maps: a
// [][]any nests as deep as a []any of []any.
func TestTooDeepTypedLists(t *testing.T) {
	for name, v := range map[string]any{
		"[][]any":          [][]any{{[]any{"x"}}},
		"[][1]any":         [][1]any{{[]any{"x"}}},
		"[]map[string]any": []map[string]any{{"k": []any{"x"}}},
	} {
		if !tooDeep(v, 2) {
			t.Errorf("%s: 3 levels held with a maximum of 2", name)
		}
		if tooDeep(v, 3) {
			t.Errorf("%s: 3 levels refused with a maximum of 3", name)
		}
	}
}
