package transform

import (
	"context"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
)

// A comparison of two numbers or two booleans reads no list nor string: it
// costs no step of its own, unlike a comparison of values it must walk.
func TestScalarComparisonsCostNoStep(t *testing.T) {
	minSteps := func(x string) int64 {
		t.Helper()
		m, problems := Parse("evil.yaml", []byte(attack.Mapping(false, nil, x)), Options{})
		if len(problems) > 0 {
			t.Fatal((&LoadError{problems}).Error())
		}
		lo, hi := int64(1), int64(10_000)
		for lo < hi {
			mid := (lo + hi) / 2
			res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`),
				Payload: map[string]any{"a": "abc", "b": "de"}, ReceivedAt: received}, Limits{Steps: mid, Time: time.Minute})
			if res.Failure == nil {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}
	// A comparison of strings first, so that a step more shows.
	const first = `string(payload.a) != string(payload.b) && `
	base := minSteps(first + `len(payload.a) > 0 && len(payload.b) > 0`)
	for _, x := range []string{
		`len(payload.a) != len(payload.b)`,
		`(len(payload.a) > 0) != (len(payload.b) > 0)`,
	} {
		if got := minSteps(first + x); got != base {
			t.Errorf("%s takes %d steps, want %d as the same calls without the comparison", x, got, base)
		}
	}
	if got := minSteps(first + `string(payload.a) != string(payload.b)`); got <= base {
		t.Errorf("a second comparison of strings takes %d steps, want more than %d", got, base)
	}
}
