package transform

import (
	"reflect"
	"testing"
)

func compareData(t *testing.T, r *Rule, e any) {
	t.Helper()
	whole, err := r.data.runWhole(e, 0)
	if err != nil {
		t.Fatalf("rule %s: whole data: %v", r.Name, err)
	}
	leaves := *r.data
	leaves.whole = nil
	byLeaf, _, err := leaves.eval(e, "data")
	if err != nil {
		t.Fatalf("rule %s: leaf by leaf: %v", r.Name, err)
	}
	if !reflect.DeepEqual(whole, byLeaf) {
		t.Errorf("rule %s: whole data\n%#v\nleaf by leaf\n%#v", r.Name, whole, byLeaf)
	}
}

// A failing leaf is still named when the data tree runs as one expression.
func TestWholeDataFailureNamesTheField(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	for _, r := range m.Rules() {
		if r.Name == "order-paid" && r.data.whole == nil {
			t.Fatal("order-paid's data is evaluated leaf by leaf")
		}
	}
	res := apply(t, m, `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"1.001","currency":"brl","email":"x"}}`)
	if res.Failure == nil || res.Failure.Field != "data.amount" {
		t.Fatalf("failure = %v, want one on data.amount", res.Failure)
	}
}
