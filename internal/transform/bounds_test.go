package transform

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

// A limit left at zero (or below) takes its default; a limit set is kept.
func TestNewBudgetDefaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want Limits
	}{
		{"unset", Limits{}, DefaultLimits},
		{"negative", Limits{Steps: -1, Bytes: -1, Time: -1}, DefaultLimits},
		{"set", Limits{Steps: 7, Bytes: 9, Time: time.Hour}, Limits{Steps: 7, Bytes: 9, Time: time.Hour}},
		{"smallest", Limits{Steps: 1, Bytes: 1, Time: 1}, Limits{Steps: 1, Bytes: 1, Time: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := newBudget(context.Background(), tc.in).limits; got != tc.want {
				t.Errorf("newBudget(%+v).limits = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// remaining is what the bytes limit leaves after what was charged.
func TestBudgetRemaining(t *testing.T) {
	b := newBudget(context.Background(), Limits{Bytes: 100})
	if err := b.charge(0, 60); err != nil {
		t.Fatal(err)
	}
	if got := b.remaining(); got != 40 {
		t.Errorf("remaining after 60 of 100 bytes = %d, want 40", got)
	}
	if got := (*budget)(nil).remaining(); got != 1<<62 {
		t.Errorf("remaining of no budget = %d, want 1<<62", got)
	}
}

// repeat's cost is its output's size while that fits the limit, and one
// byte past the limit (without multiplying, which could overflow) when not.
func TestRepeatCost(t *testing.T) {
	for _, tc := range []struct {
		s     string
		n     int
		limit int64
		want  int64
	}{
		{"ab", 5, 10, 10}, // n == (limit+1)/len: exactly the limit
		{"ab", 5, 11, 10},
		{"ab", 6, 11, 12},                     // n == (limit+1)/len: one byte past
		{"ab", 6, 10, 11},                     // past the limit: limit+1
		{"abcd", 1 << 62, 1 << 20, 1<<20 + 1}, // 4 * 2^62 wraps to 0 when multiplied
		{"", 1 << 40, 10, 0},                  // nothing repeated: no division by zero
		{"ab", 0, 10, 0},
		{"ab", -3, 10, 0},
	} {
		_, got := cost("repeat", []any{tc.s, tc.n}, tc.limit)
		if got != tc.want {
			t.Errorf("cost(repeat(%q, %d), limit %d) = %d bytes, want %d", tc.s, tc.n, tc.limit, got, tc.want)
		}
	}
}

// A computed index of a scalar type reads the value; a list or a map as
// the index is refused before expr writes it out in its error.
func TestComputedIndex(t *testing.T) {
	payload := map[string]any{"k": "a", "a": "found", "n": 1.0}
	for _, tc := range []struct {
		name, x, want, failure string
	}{
		{"string from the payload", `payload[payload.k]`, `"x":"found"`, ""},
		{"number from the payload", `[10, 20][payload.n]`, `"x":20`, ""},
		{"map", `payload[{"a": 1}]`, "", "cannot index with a map[string]interface {}"},
		{"list", `payload[[payload.k]]`, "", "cannot index with a []interface {}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, problems := Parse("evil.yaml", []byte(attack.Mapping(false, nil, tc.x)), Options{})
			if len(problems) > 0 {
				t.Fatal((&LoadError{problems}).Error())
			}
			res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: payload, ReceivedAt: received}, Limits{})
			if tc.failure != "" {
				if res.Failure == nil || !strings.Contains(res.Failure.Error(), tc.failure) {
					t.Fatalf("failure %v, want one saying %q", res.Failure, tc.failure)
				}
				return
			}
			if res.Failure != nil || len(res.Events) != 1 {
				t.Fatalf("failure %v, %d events", res.Failure, len(res.Events))
			}
			if got := string(res.Events[0].JSON); !strings.Contains(got, tc.want) {
				t.Errorf("event %s, want data with %s", got, tc.want)
			}
		})
	}
}

// What each charged built-in costs, computed from its arguments before it
// runs: one step plus one per element read (and per KiB of string); the
// bytes of what it builds.
func TestBuiltinCost(t *testing.T) {
	kib := strings.Repeat("k", 2048)
	for _, tc := range []struct {
		name         string
		args         []any
		steps, bytes int64
	}{
		{"join", []any{[]any{"ab", "cde"}, "--"}, 3, 2*2 + 5},
		{"join", []any{[]any{"ab", "cde"}}, 3, 5},
		{"join", []any{[]string{"ab", "c"}, ","}, 3, 2*1 + 3},
		{"replace", []any{"aXbX", "X", "yy"}, 1, 4 + 2*2},
		{"replace", []any{"ab", "", "-"}, 1, 2 + 3*1},
		{"replace", []any{"ab", "", ""}, 1, 2},
		{"concat", []any{[]any{1, 2}, []any{3}}, 4, 16 * 3},
		{"flatten", []any{[]any{"ab"}}, 2, 16 * (16 + 4)},
		{"toJSON", []any{[]any{"ab"}}, 2, 16 + 4},
		{"upper", []any{"abc"}, 1, 2 * 3},
		{"upper", []any{kib}, 1 + 2, 2 * 2048},
		{"keys", []any{map[string]any{"a": 1, "b": 2}}, 3, 16 * 2},
		{"len", []any{"abc"}, 1, 0},
	} {
		steps, bytes := cost(tc.name, tc.args, 1<<20)
		if steps != tc.steps || bytes != tc.bytes {
			t.Errorf("cost(%s%v) = %d steps, %d bytes; want %d, %d", tc.name, tc.args, steps, bytes, tc.steps, tc.bytes)
		}
	}
}

// The built-ins that write a whole value out are charged its size up to
// the limit, each argument against what the ones before it left.
func TestBuiltinCostNearTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []any
		limit        int64
		steps, bytes int64
	}{
		{"uuid5", []any{"abc", "de"}, 100, 1, 5 + 4},
		// The list is measured against the 2 bytes the string left.
		{"uuid5", []any{strings.Repeat("s", 16), []any{"abcdefgh"}}, 20, 1 + 1, 18 + 3},
		// At the limit exactly, the next argument is still measured.
		{"minorUnits", []any{strings.Repeat("s", 18), "x"}, 20, 1, 20 + 3},
		// flatten's elements count 16 bytes each: measured against limit/16.
		{"flatten", []any{[]any{strings.Repeat("x", 200)}}, 160, 2, 16 * 11},
	} {
		steps, bytes := cost(tc.name, tc.args, tc.limit)
		if steps != tc.steps || bytes != tc.bytes {
			t.Errorf("cost(%s%v) = %d steps, %d bytes; want %d, %d", tc.name, tc.args, steps, bytes, tc.steps, tc.bytes)
		}
	}
}

// tooDeep holds a value nesting exactly max lists or maps, and refuses one
// level more, whichever kind nests.
func TestTooDeepBound(t *testing.T) {
	nest := func(levels int, wrap func(any) any) any {
		var v any = "leaf"
		for range levels {
			v = wrap(v)
		}
		return v
	}
	for name, wrap := range map[string]func(any) any{
		"list":    func(v any) any { return []any{v} },
		"map":     func(v any) any { return map[string]any{"k": v} },
		"array":   func(v any) any { return [1]any{v} },
		"int map": func(v any) any { return map[int]any{1: v} },
	} {
		for _, max := range []int{0, 1, 5} {
			if tooDeep(nest(max, wrap), max) {
				t.Errorf("%s: %d levels refused with a maximum of %d", name, max, max)
			}
			if !tooDeep(nest(max+1, wrap), max) {
				t.Errorf("%s: %d levels held with a maximum of %d", name, max+1, max)
			}
		}
	}
}

// deepSize: a string its length and quotes, 16 per number, element or key
// plus twice the depth (toJSON's indentation), keys their length; past the
// limit, limit+1.
func TestDeepSize(t *testing.T) {
	for _, tc := range []struct {
		name  string
		v     any
		limit int64
		want  int64
	}{
		{"string", "ab", 100, 4},
		{"number", 1.5, 100, 16},
		{"list", []any{"ab"}, 100, 16 + 4},
		{"nested list", []any{[]any{"ab"}}, 100, 16 + (16 + 2 + 4)},
		{"map", map[string]any{"key": "ab"}, 100, 16 + 3 + 4},
		{"nested map", map[string]any{"k": map[string]any{"key": "ab"}}, 100, 16 + 1 + (16 + 2 + 3 + 4)},
		{"typed list", []string{"ab", "c"}, 100, 16 + 4 + 16 + 3},
		{"typed map", map[string]string{"key": "ab"}, 100, 16 + 5 + 4},
		{"exactly the limit", []any{"ab"}, 20, 20},
		{"an empty list at the limit", []any{[]any{}}, 16, 16},
		{"past the limit", []any{"ab"}, 19, 20},
		{"past the limit at the element", []any{"abcdef"}, 10, 11},
		{"typed list past the limit", []string{"ab", "c"}, 30, 31},
		{"typed map past the limit", map[string]string{"key": "ab"}, 20, 21},
	} {
		if got := deepSize(tc.v, tc.limit, 0); got != tc.want {
			t.Errorf("%s: deepSize(%v, %d) = %d, want %d", tc.name, tc.v, tc.limit, got, tc.want)
		}
	}
}

// A predicate is charged one step per iteration, once however often the
// expression is patched: the fewest steps an evaluation needs grows by
// exactly the iterations added.
func TestOneStepPerIteration(t *testing.T) {
	minSteps := func(x string) int64 {
		t.Helper()
		m, problems := Parse("evil.yaml", []byte(attack.Mapping(false, nil, x)), Options{})
		if len(problems) > 0 {
			t.Fatal((&LoadError{problems}).Error())
		}
		lo, hi := int64(1), int64(100_000) // the answer is in (lo-1, hi]
		for lo < hi {
			mid := (lo + hi) / 2
			res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{}, ReceivedAt: received},
				Limits{Steps: mid, Time: time.Minute})
			if res.Failure == nil {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return lo
	}
	for _, pred := range []string{"count(1..%d, # > 0)", "len(filter(1..%d, # > 0))", "len(map(1..%d, # + 1))"} {
		a, b := minSteps(fmt.Sprintf(pred, 100)), minSteps(fmt.Sprintf(pred, 200))
		if b-a != 100 {
			t.Errorf("%s: %d steps for 100 iterations, %d for 200: want 100 more", pred, a, b)
		}
	}
}

// A file may hold MaxExpressions expressions and an expression
// MaxExpressionSize bytes, not one more.
func TestMappingSizeBoundsExactly(t *testing.T) {
	// The rule's when, entity_id and source are three expressions; the
	// rest are data leaves.
	withLeaves := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "      k%d: '1'\n", i)
		}
		return strings.Replace(attack.Mapping(false, nil, "1"), "      x: '1'\n", b.String(), 1)
	}
	for _, tc := range []struct {
		name string
		file string
		ok   bool
	}{
		{"MaxExpressions", withLeaves(MaxExpressions - 3), true},
		{"one expression more", withLeaves(MaxExpressions - 2), false},
		{"MaxExpressionSize bytes", attack.Mapping(false, nil, `"`+strings.Repeat("x", MaxExpressionSize-2)+`"`), true},
		{"one byte more", attack.Mapping(false, nil, `"`+strings.Repeat("x", MaxExpressionSize-1)+`"`), false},
	} {
		_, problems := Parse("big.yaml", []byte(tc.file), Options{})
		if ok := len(problems) == 0; ok != tc.ok {
			t.Errorf("%s: loads %v, want %v: %v", tc.name, ok, tc.ok, problems[:min(3, len(problems))])
		}
	}
}

// fromUnix keeps the fraction of a second; minorUnits takes amounts up to
// 2^53 minor units either way (every such integer is exact in a float64).
func TestNumberBounds(t *testing.T) {
	got, err := fromUnix(1_700_000_000.25)
	if err != nil || got != time.Unix(1_700_000_000, 250_000_000).UTC() {
		t.Errorf("fromUnix(1700000000.25) = %v, %v", got, err)
	}
	for _, tc := range []struct {
		amount string
		ok     bool
	}{
		{"9007199254740992", true},
		{"-9007199254740992", true},
		{"9007199254740993", false},
		{"-9007199254740993", false},
	} {
		got, err := minorUnits(tc.amount, "JPY")
		if ok := err == nil; ok != tc.ok {
			t.Errorf("minorUnits(%s, JPY) = %v, %v; want ok %v", tc.amount, got, err, tc.ok)
		}
	}
}

// each returning nil makes no events, without a failure; anything else
// but a list is a failure.
func TestEachOfNil(t *testing.T) {
	for _, tc := range []struct {
		each    string
		failure bool
	}{
		{"nil", false},
		{"payload.missing", false},
		{"payload.list", false},
		{"payload.s", true},
	} {
		file := strings.Replace(attack.Mapping(false, nil, "1"), "    entity_id: '\"1\"'\n", "    each: '"+tc.each+"'\n    entity_id: '\"1\"'\n", 1)
		m, problems := Parse("each.yaml", []byte(file), Options{})
		if len(problems) > 0 {
			t.Fatal((&LoadError{problems}).Error())
		}
		res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{"s": "x", "list": []any{}}, ReceivedAt: received}, Limits{})
		if (res.Failure != nil) != tc.failure || len(res.Events) != 0 {
			t.Errorf("each %s: failure %v, %d events; want failure %v, no events", tc.each, res.Failure, len(res.Events), tc.failure)
		}
	}
}

// An event's data may nest jsonx.MaxDepth levels (data itself is the first),
// not one more.
func TestDataDepthBound(t *testing.T) {
	for _, tc := range []struct {
		lists int // the lists nested in data.x
		ok    bool
	}{
		{jsonx.MaxDepth - 1, true},
		{jsonx.MaxDepth, false},
	} {
		// reduce(1..n, [#acc], []) nests n+1 lists.
		x := fmt.Sprintf("reduce(1..%d, [#acc], [])", tc.lists-1)
		m, problems := Parse("deep.yaml", []byte(attack.Mapping(false, nil, x)), Options{})
		if len(problems) > 0 {
			t.Fatal((&LoadError{problems}).Error())
		}
		res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{}, ReceivedAt: received}, Limits{})
		if ok := res.Failure == nil; ok != tc.ok {
			t.Errorf("data nesting %d levels: failure %v, want ok %v", tc.lists+1, res.Failure, tc.ok)
		}
	}
}

// A serialized event must be smaller than MaxEventSize: one of
// MaxEventSize-1 bytes is made, one of MaxEventSize is not.
func TestEventSizeBoundExactly(t *testing.T) {
	m, problems := Parse("size.yaml", []byte(attack.Mapping(false, nil, "payload.pad")), Options{})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	apply := func(pad int) Result {
		return m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`),
			Payload: map[string]any{"pad": strings.Repeat("x", pad)}, ReceivedAt: received}, Limits{})
	}
	res := apply(1000)
	if res.Failure != nil || len(res.Events) != 1 {
		t.Fatalf("a small event: %v", res.Failure)
	}
	// Each byte of padding is a byte of the event.
	pad := 1000 + MaxEventSize - 1 - len(res.Events[0].JSON)
	if res := apply(pad); res.Failure != nil || len(res.Events[0].JSON) != MaxEventSize-1 {
		t.Fatalf("an event of %d bytes: failure %v", MaxEventSize-1, res.Failure)
	}
	res = apply(pad + 1)
	if res.Failure == nil || res.Failure.Reason != deadletter.ReasonInvalidEvent || !strings.Contains(res.Failure.Error(), fmt.Sprintf("is %d bytes", MaxEventSize)) {
		t.Fatalf("an event of %d bytes: failure %v, want it refused for its size", MaxEventSize, res.Failure)
	}
}
