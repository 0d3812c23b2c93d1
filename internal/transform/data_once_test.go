package transform

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func applyFile(t *testing.T, file, body string, whole bool) Result {
	t.Helper()
	m, problems := Parse("shop.yaml", []byte(file), Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if !whole {
		for _, r := range m.rules {
			if r.data != nil {
				r.data.whole = nil
			}
		}
	}
	in := NewInput("shop", IngestWebhook, []byte(body), http.Header{}, received)
	var err error
	if in.Payload, err = m.Decode("application/json", []byte(body)); err != nil {
		t.Fatal(err)
	}
	// The default steps and bytes; time enough for the race detector.
	return m.ApplyContext(t.Context(), in, Limits{Time: 2 * time.Minute})
}

// Every event of an `each` rule whose data is one expression reading a
// map of the payload names its own entity, and the payload is left as it
// was (attack of 2026-12-06: the entity's keys were written into the
// payload's map, and every later event kept the first one's).
func TestEachEventHasItsOwnData(t *testing.T) {
	const file = `provider: shop
module: test
webhook: {signature: {scheme: none}}
rules:
  - name: lines
    when: true
    each: payload.lines
    entity_type: line
    event_name: seen
    entity_id: item
    source: '"https://shop.example/lines/" + item'
    data: payload.meta
`
	res := applyFile(t, file, `{"meta":{"shop":"s1"},"lines":["l1","l2"]}`, true)
	if res.Failure != nil || len(res.Events) != 2 {
		t.Fatalf("failure %v, %d events", res.Failure, len(res.Events))
	}
	for i, want := range []string{"l1", "l2"} {
		var ev struct{ Data map[string]any }
		if err := json.Unmarshal(res.Events[i].JSON, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Data["external_entity_id"] != want || ev.Data["shop"] != "s1" {
			t.Errorf("event %d: data %v, want external_entity_id %s", i, ev.Data, want)
		}
	}
}

// A data tree evaluated as one expression, or leaf by leaf, gives the
// same outcome when the leaves together build more than expr allows one
// run but each alone does not (attack of 2026-12-06: the one run failed,
// and its spending failed the leaves' run after it).
func TestWholeDataFailureDoesNotChargeTwice(t *testing.T) {
	for _, n := range []int{150000, 250000, 320000} {
		leaf := fmt.Sprintf("len(map(1..%d, #))", n)
		file := `provider: shop
module: test
webhook: {signature: {scheme: none}}
rules:
  - name: r
    when: true
    entity_type: line
    event_name: seen
    entity_id: '"x"'
    source: '"https://shop.example/x"'
    data:
      a: '` + leaf + `'
      b: '` + leaf + `'
      c: '` + leaf + `'
`
		whole, leaves := applyFile(t, file, `{}`, true), applyFile(t, file, `{}`, false)
		if (whole.Failure == nil) != (leaves.Failure == nil) {
			t.Errorf("n=%d: as one expression %v; leaf by leaf %v", n, whole.Failure, leaves.Failure)
		}
		if whole.Failure != nil && leaves.Failure != nil && whole.Failure.Field != leaves.Failure.Field {
			t.Errorf("n=%d: the failure names %s; leaf by leaf %s", n, whole.Failure.Field, leaves.Failure.Field)
		}
	}
}
