//go:build race

package jsonx

// The race detector makes sync.Pool drop what is put back at random, so
// allocation counts are not pinned under it.
func init() { raceEnabled = true }
