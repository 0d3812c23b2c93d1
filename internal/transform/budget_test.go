package transform

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

func TestEvaluationBudget(t *testing.T) {
	big := []string{`big: repeat("x", 100000)`}
	for _, tc := range []struct {
		name, file, what string
	}{
		{"doubling lets", attack.DoublingLets(false), "bytes"},
		{"nested count", attack.NestedCount(false), "steps"},
		{"join of one string repeated", attack.Mapping(false, big, `join(map(1..1000, big), "")`), "bytes"},
		{"toJSON of one string repeated", attack.Mapping(false, big, `toJSON(map(1..1000, big))`), "bytes"},
		{"string of one string repeated", attack.Mapping(false, big, `string(map(1..1000, big))`), "bytes"},
		{"mask of one string repeated", attack.Mapping(false, big, `len(map(1..1000, mask(big, 1)))`), "bytes"},
		{"expr's own memory budget", attack.Mapping(false, nil, `len(map(1..1000, repeat("x", 100000)))`), "memory"},
		{"repeat", attack.Mapping(false, nil, `repeat(repeat("x", 100000), 1000)`), "bytes"},
		{"replace of the empty string", attack.Mapping(false, nil, `replace(repeat("x", 10000), "", repeat("y", 10000))`), "bytes"},
		{"flatten of one list repeated", attack.Mapping(false, []string{`xs: 1..10000`}, `len(flatten(map(1..1000, xs)))`), "bytes"},
		{"doubling concat", attack.Mapping(false, []string{`a0: 1..1000`, `a1: concat(a0, a0)`, `a2: concat(a1, a1)`, `a3: concat(a2, a2)`,
			`a4: concat(a3, a3)`, `a5: concat(a4, a4)`, `a6: concat(a5, a5)`, `a7: concat(a6, a6)`, `a8: concat(a7, a7)`,
			`a9: concat(a8, a8)`, `a10: concat(a9, a9)`, `a11: concat(a10, a10)`}, "len(a11)"), "steps"},
		{"sum inside a loop", attack.Mapping(false, []string{`xs: 1..900000`}, "count(1..1000, sum(xs) > 0)"), "steps"},
		{"reduce building a string", attack.Mapping(false, nil, `len(reduce(1..100000, #acc + "xxxxxxxxxxxxxxxxxxxxxxxxxx", ""))`), "bytes"},
		{"comparisons of long lists", attack.Mapping(false, []string{`xs: 1..400000`, `ys: 1..400000`}, strings.Repeat("xs == ys && ", 5)+"true"), "steps"},
		{"membership in a long list", attack.Mapping(false, []string{`xs: 1..400000`}, strings.Repeat("len(xs) in xs && ", 5)+"true"), "steps"},
		{"payload strings added", attack.Mapping(false, nil, `len(reduce(1..100000, #acc + payload.s, ""))`), "bytes"},
		// One call that costs far more than its arguments' length: charged
		// by what it will do, before it runs.
		{"a literal pattern over a long string", attack.Mapping(false, nil, `repeat("a", 900000) matches "a{0,1000}b"`), "steps"},
		{"a pattern built at run time", attack.Mapping(false, []string{`p: repeat("a?", 2000) + repeat("a", 2000)`}, `repeat("a", 40000) matches p`), "steps"},
		{"comparison of nested lists", attack.Mapping(false, []string{`row: 1..200`, `m: map(1..200, row)`, `a: map(1..200, m)`, `b: map(1..200, m)`}, `a == b`), "steps"},
		{"fromJSON of many small values, five times", attack.Mapping(false, []string{`t: '"[" + repeat("{},", 100000) + "{}]"'`, `a: fromJSON(t)`, `b: fromJSON(t)`,
			`c: fromJSON(t)`, `d: fromJSON(t)`, `e: fromJSON(t)`}, `len(a) + len(b) + len(c) + len(d) + len(e)`), "bytes"},
		{"trim with a long non-ASCII cut set", attack.Mapping(false, nil, `len(trim(repeat("é", 200000), repeat("é", 200000) + "x"))`), "steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, problems := Parse("evil.yaml", []byte(tc.file), Options{})
			if len(problems) > 0 {
				t.Fatalf("load: %v\n%s", (&LoadError{problems}).Error(), tc.file)
			}
			body := `{"s": "` + strings.Repeat("p", 1000) + `"}`
			payload, err := jsonx.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			// The default steps and bytes; time enough that they, not the
			// clock, stop it, even under the race detector.
			res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(body), Payload: payload, ReceivedAt: received},
				Limits{Time: time.Minute})
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if res.Failure == nil {
				t.Fatalf("no failure; events %d", len(res.Events))
			}
			var be *BudgetError
			if res.Failure.Reason != deadletter.ReasonEvalError || !errors.As(res.Failure.Err, &be) || be.What != tc.what {
				t.Fatalf("failure %q (%s, %T); want an eval_error exceeding %s", res.Failure, res.Failure.Reason, res.Failure.Err, tc.what)
			}
			if !strings.Contains(res.Failure.Error(), "budget") || !strings.HasPrefix(res.Failure.Field, "data") {
				t.Errorf("failure %q: want the field and the word budget", res.Failure)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 256<<20 {
				t.Errorf("the evaluation allocated %d MiB", grown>>20)
			}
			t.Logf("%s: %v (allocated %d KiB)", tc.name, res.Failure, (after.TotalAlloc-before.TotalAlloc)>>10)
		})
	}
}

func TestEvaluationBudgetTimeAndCancel(t *testing.T) {
	m, problems := Parse("evil.yaml", []byte(attack.NestedCount(false)), Options{})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	in := Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{}, ReceivedAt: received}

	res := m.ApplyContext(context.Background(), in, Limits{Steps: 1 << 40, Time: time.Millisecond})
	var be *BudgetError
	if res.Failure == nil || !errors.As(res.Failure.Err, &be) || be.What != "time" {
		t.Fatalf("failure %v, want the time budget exceeded", res.Failure)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = m.ApplyContext(ctx, in, Limits{Steps: 1 << 40, Time: time.Hour})
	if res.Failure == nil || !errors.Is(res.Failure.Err, context.Canceled) {
		t.Fatalf("failure %v, want the evaluation cancelled", res.Failure)
	}
}

func TestBudgetedMappingsStillMap(t *testing.T) {
	// Within the budget the charging calls change nothing: types,
	// results and errors are those of expr's own operators and built-ins.
	m, problems := Parse("ok.yaml", []byte(attack.Mapping(false, []string{`xs: 1..500`},
		`{"n": count(xs, # % 2 == 0), "s": join(map(["a", "b"], upper(#)), "-") + "!", "j": toJSON({"a": 1}),
		  "r": repeat("ab", 2), "f": len(flatten([[1], [2, 3]])), "c": len(concat(xs, xs)), "t": trim("  x "),
		  "sum": sum(1..10), "red": reduce(1..3, #acc + string(#), ""), "rep": replace("a.b", ".", "-")}`)), Options{})
	if len(problems) > 0 {
		t.Fatal((&LoadError{problems}).Error())
	}
	res := m.Apply(Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{}, ReceivedAt: received})
	if res.Failure != nil {
		t.Fatal(res.Failure)
	}
	ev := decodeEvent(t, res.Events[0].JSON)
	got := fmt.Sprint(ev["data"].(map[string]any)["x"])
	want := "map[c:1000 f:3 j:{\n  \"a\": 1\n} n:250 r:abab red:123 rep:a-b s:A-B! sum:55 t:x]"
	if got != want {
		t.Fatalf("data.x = %s\nwant %s", got, want)
	}
}

func TestReservedNamesAreRefused(t *testing.T) {
	for _, x := range []string{`__bridge_budget`, `__bridge_step(nil)`, `__bridge_v1`} {
		_, problems := Parse("evil.yaml", []byte(attack.Mapping(false, nil, x)), Options{})
		if len(problems) == 0 || !strings.Contains(problems[0].Msg, "reserved") {
			t.Errorf("%s: problems %v, want the name refused as reserved", x, problems)
		}
	}
	_, problems := Parse("evil.yaml", []byte(attack.Mapping(false, []string{`__bridge_budget: "1"`}, "1")), Options{})
	if len(problems) == 0 {
		t.Errorf("a let named __bridge_budget loads")
	}
}

func TestMappingSizeBounds(t *testing.T) {
	_, problems := Parse("evil.yaml", []byte(attack.Mapping(false, nil, strings.Repeat("(", 5000)+"1"+strings.Repeat(")", 5000))), Options{})
	if len(problems) == 0 || !strings.Contains(problems[0].Msg, "bytes; at most") {
		t.Errorf("a 10000-byte expression: problems %v", problems)
	}
	var b strings.Builder
	for i := range MaxExpressions + 10 {
		fmt.Fprintf(&b, "      k%d: '1'\n", i)
	}
	file := strings.Replace(attack.Mapping(false, nil, "1"), "      x: '1'\n", b.String(), 1)
	_, problems = Parse("evil.yaml", []byte(file), Options{})
	n := 0
	for _, p := range problems {
		if strings.Contains(p.Msg, "expressions") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a file of %d expressions: %d problems about it, want 1: %v", MaxExpressions+10, n, problems[:min(3, len(problems))])
	}
}

// FuzzBudgetBoundsAllocation evaluates any expression that loads, with
// small limits, and checks that what it allocates stays within a bound of
// them: a way around the charging calls shows as an allocation past it.
func FuzzBudgetBoundsAllocation(f *testing.F) {
	for _, s := range []string{`len(s22)`, `repeat("x", 1000000)`, `join(map(1..1000, repeat("x", 1000)), "")`,
		`toJSON(map(1..100, payload))`, `reduce(1..1000, #acc + #acc, "x")`, `flatten(map(1..1000, 1..1000))`,
		`count(1..100, count(1..100, count(1..100, # > 0) > 1) > 1)`, `replace(repeat("ab", 1000), "", "xyz")`,
		`string(map(1..1000, map(1..100, "abcdefgh")))`, `upper(repeat(payload.s, 1000))`, `sort(concat(1..1000, 1..1000))`,
		`reduce(1..100000, [#acc], [])`, `payload[reduce(1..1000, [#acc], [])]`, `toJSON(reduce(1..100000, ({"a": #acc}), {}))`} {
		f.Add(s)
	}
	lets := []string{`s0: '"xxxxxxxxxxxxxxxx"'`}
	for i := 1; i <= 22; i++ {
		lets = append(lets, fmt.Sprintf("s%d: s%d + s%d", i, i-1, i-1))
	}
	body := []byte(`{"s": "` + strings.Repeat("p", 1000) + `", "items": [1, 2, 3]}`)
	payload, err := jsonx.Decode(body)
	if err != nil {
		f.Fatal(err)
	}
	limits := Limits{Steps: 10_000, Bytes: 1 << 20, Time: 500 * time.Millisecond}
	f.Fuzz(func(t *testing.T, x string) {
		if strings.ContainsAny(x, "\n\r") || len(x) > 2000 {
			return
		}
		m, problems := Parse("evil.yaml", []byte(attack.Mapping(false, lets, x)), Options{})
		if len(problems) > 0 {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: body, Payload: payload, ReceivedAt: received}, limits)
		runtime.ReadMemStats(&after)
		// expr's own memory budget lets one run build lists of a million
		// elements (8-16 MiB); the bridge's limits add 1 MiB.
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 128<<20 {
			t.Fatalf("%s allocated %d MiB with a budget of 1 MiB", x, grown>>20)
		}
		// A value nested without bound, written out recursively, shows as
		// stack.
		if after.StackInuse > 256<<20 {
			t.Fatalf("%s: stacks use %d MiB", x, after.StackInuse>>20)
		}
	})
}

func TestDeepValuesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, x string
		reason  deadletter.Reason
		want    string
	}{
		// Written out, a list nested 400,000 deep took seconds and half a
		// GiB of stack.
		{"data nested deeper than JSON", "reduce(1..400000, [#acc], [])", deadletter.ReasonInvalidEvent, "nests deeper than 64 levels"},
		{"comparison of deep values", "reduce(1..100000, [#acc], []) == reduce(1..100000, [#acc], [])", deadletter.ReasonEvalError, "a value nests deeper than 64 levels"},
		{"entity_id of a deep value", "", deadletter.ReasonInvalidEvent, "got a []interface {}"},
		// expr's errors write the value out: refused first.
		{"index by a deep value", `payload[reduce(1..100000, [#acc], [])]`, deadletter.ReasonEvalError, "cannot index with a []interface {}"},
		{"slice of a deep map", `get({"m": reduce(1..100000, ({"a": #acc}), {})}, "m")[0:1]`, deadletter.ReasonEvalError, "cannot slice a map[string]interface {}"},
		{"fromPairs of a deep pair", `fromPairs([reduce(1..100000, [#acc], [])])`, deadletter.ReasonEvalError, "a value nests deeper than 64 levels"},
		{"uuid5 of a deep value", `uuid5(reduce(1..100000, [#acc], []))`, deadletter.ReasonEvalError, "bytes of strings and lists built"},
		{"minorUnits of a deep value", `minorUnits(get({"a": reduce(1..100000, [#acc], [])}, "a"), "BRL")`, deadletter.ReasonEvalError, "bytes of strings and lists built"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := attack.Mapping(false, nil, tc.x)
			if tc.x == "" {
				file = strings.Replace(attack.Mapping(false, nil, `map(1..100000, "x")`), "      x: ", "      entity_id: ", 1)
			}
			m, problems := Parse("evil.yaml", []byte(file), Options{})
			if len(problems) > 0 {
				t.Fatal((&LoadError{problems}).Error())
			}
			var before, after runtime.MemStats
			runtime.GC() // the stacks of earlier work shrink
			runtime.ReadMemStats(&before)
			res := m.ApplyContext(context.Background(), Input{Provider: "evil", Ingest: IngestNATS, Body: []byte(`{}`), Payload: map[string]any{}, ReceivedAt: received},
				Limits{Time: time.Minute})
			runtime.ReadMemStats(&after)
			if res.Failure == nil || res.Failure.Reason != tc.reason || !strings.Contains(res.Failure.Error(), tc.want) {
				t.Fatalf("failure %v, want %s saying %q", res.Failure, tc.reason, tc.want)
			}
			if after.StackInuse > 64<<20 {
				t.Errorf("stacks use %d MiB", after.StackInuse>>20)
			}
		})
	}
}
