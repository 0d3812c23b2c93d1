package transform

import "testing"

// deepCount stops a map's walk, and a typed list's, where it stops a
// list's: past the limit, not at it, and hands each element the limit
// left after what it has counted. The maps have one key, for an order
// that does not change from run to run.
func TestDeepCountLimitsOfMapsAndTypedLists(t *testing.T) {
	five := []any{1, 2, 3, 4, 5}
	pair := []any{five, five} // 2 + 5, then past 6 left: stops before the second
	for _, tc := range []struct {
		name  string
		v     any
		limit int64
		want  int64
	}{
		// 1, and at the limit exactly the walk goes on into the list.
		{"a map at the limit", map[string]any{"a": five}, 1, 1 + 5},
		// 1, then the pair with 6 left: 2 + 5 is past it.
		{"a map hands on the limit left", map[string]any{"a": pair}, 7, 1 + 2 + 5},
		{"a typed list at the limit", [][]any{{1, 2}, {3}}, 2, 2 + 2},
		{"a typed list hands on the limit left", [][]any{pair}, 7, 1 + 2 + 5},
	} {
		if got := deepCount(tc.v, tc.limit); got != tc.want {
			t.Errorf("%s: deepCount(limit %d) = %d, want %d", tc.name, tc.limit, got, tc.want)
		}
	}
}
