package transform

import "testing"

// deepCount counts every element at every depth, and stops once past the
// limit: a total over the limit is counted past it, and no further than
// the list that crossed it.
func TestDeepCount(t *testing.T) {
	scalars := make([]any, 100)
	for i := range scalars {
		scalars[i] = i
	}
	three := []any{scalars, scalars, scalars} // 3 + 300
	two := []any{three, three}                // 2 + 2×303
	for _, tc := range []struct {
		name  string
		v     any
		limit int64
		want  int64
	}{
		{"under the limit: exact", two, 1000, 608},
		// 2, then the first three: 3, then its first list (100) passes the
		// 99 left; 2 + 103 is past the limit.
		{"past the limit", two, 101, 105},
		// At the limit exactly the walk goes on: 2 + the first three's 3
		// and its first list.
		{"at the limit", two, 2, 5},
		{"typed lists of lists", [][]any{{1, 2}, {3}}, 100, 2 + 3},
		{"an array of lists", [1]any{[]any{1, 2}}, 100, 1 + 2},
		{"typed lists of arrays", [][1]any{{[]any{1, 2}}}, 100, 1 + 1 + 2},
		{"typed lists of maps", []map[string]any{{"a": 1, "b": []any{2}}}, 100, 1 + 2 + 1},
		{"typed lists of scalars", []int{1, 2, 3}, 100, 3},
	} {
		if got := deepCount(tc.v, tc.limit); got != tc.want {
			t.Errorf("%s: deepCount(limit %d) = %d, want %d", tc.name, tc.limit, got, tc.want)
		}
	}
}
