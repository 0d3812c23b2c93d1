package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units a size may carry: decimal (KB = 10^3) and
// binary (KiB = 2^10), matched without regard to case.
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"", 1}, {"B", 1},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
}

// parseSize parses a byte count: a whole number, optionally followed by a
// unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), as in "1048576", "1MiB",
// "512 KiB" or "2MB". Negative sizes and fractions are rejected.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	digits := 0
	for digits < len(t) && t[digits] >= '0' && t[digits] <= '9' {
		digits++
	}
	switch {
	case strings.HasPrefix(t, "-"):
		return 0, fmt.Errorf("invalid size %q: must not be negative", s)
	case digits == 0:
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes, optionally with a unit such as KiB, MiB or MB", s)
	case digits < len(t) && t[digits] == '.':
		return 0, fmt.Errorf("invalid size %q: want a whole number, use a smaller unit instead of a fraction", s)
	}
	unit := strings.TrimSpace(t[digits:])
	mult := int64(0)
	for _, u := range sizeUnits {
		if strings.EqualFold(unit, u.name) {
			mult = u.mult
			break
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	n, err := strconv.ParseInt(t[:digits], 10, 64)
	if errors.Is(err, strconv.ErrRange) || (err == nil && n > math.MaxInt64/mult) {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	return n * mult, nil
}

// formatSize writes n in the largest binary unit that holds it exactly,
// or as plain bytes; parseSize reads the result back to n.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n > 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
