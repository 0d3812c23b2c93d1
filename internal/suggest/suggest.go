// Package suggest finds what a mistyped name probably meant, for the
// "did you mean" of commands, flags and config keys.
package suggest

import "strings"

// Closest is the candidate nearest to s, if one is near enough to be what
// was meant: at most two edits away, or one that s begins (of at least
// two letters).
func Closest(s string, candidates []string) (string, bool) {
	best, bestD := "", 3
	for _, c := range candidates {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			return c, true
		}
		if d := EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// EditDistance is the Levenshtein distance of a and b.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
