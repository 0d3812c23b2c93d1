package remap

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/transform"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string
	}{
		{"same but volatile", `{"id":"a","type":"t","traceparent":"x","data":{"n":1}}`, `{"id":"b","type":"t","data":{"n":1}}`, nil},
		{"changed leaf", `{"type":"t","data":{"n":1}}`, `{"type":"t","data":{"n":100}}`, []string{"- data.n: 1", "+ data.n: 100"}},
		{"added and removed", `{"data":{"a":"x"}}`, `{"data":{"b":[1,"y"]}}`, []string{"- data.a: \"x\"", "+ data.b[0]: 1", "+ data.b[1]: \"y\""}},
		{"exact numbers", `{"data":{"n":10000000000000001}}`, `{"data":{"n":10000000000000002}}`,
			[]string{"- data.n: 10000000000000001", "+ data.n: 10000000000000002"}},
		{"empty containers", `{"data":{}}`, `{"data":{"l":[]}}`, []string{"- data: {}", "+ data.l: []"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Diff([]byte(tc.old), []byte(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Diff = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := Diff([]byte(`{`), []byte(`{}`)); err == nil {
		t.Error("a broken event compared")
	}
}

// TestCorrectedIsDeterministic: the same correction built twice (new ids,
// new trace context) has the same key; another correction another key;
// both name the event they supersede.
func TestCorrectedIsDeterministic(t *testing.T) {
	key := uuid.MustParse("0b3f8e8e-2a55-5b1c-9d6e-4f7a1c2b3d4e")
	build := func(id, total string) transform.Event {
		return transform.Event{ID: id, Type: "event.shop.test.order.paid", IdempotencyKey: key,
			JSON: []byte(`{"id":"` + id + `","type":"event.shop.test.order.paid","idempotencykey":"` + key.String() +
				`","traceparent":"00-` + id + `","data":{"total":` + total + `}}`)}
	}
	a, err := corrected(build("1", "100"), "old-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := corrected(build("2", "100"), "old-1")
	c, _ := corrected(build("3", "200"), "old-1")
	if a.IdempotencyKey != b.IdempotencyKey || a.IdempotencyKey == c.IdempotencyKey || a.IdempotencyKey == key {
		t.Errorf("keys %s %s %s (original %s)", a.IdempotencyKey, b.IdempotencyKey, c.IdempotencyKey, key)
	}
	var doc map[string]any
	if err := json.Unmarshal(a.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["supersedes"] != "old-1" || doc["idempotencykey"] != a.IdempotencyKey.String() || doc["id"] != "1" {
		t.Errorf("corrected event %s", a.JSON)
	}
}
