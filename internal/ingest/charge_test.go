package ingest

import "testing"

// A decoded payload is charged DecodedValueCost per value, never more than
// what the budget leaves beside the largest body.
func TestTreeCharge(t *testing.T) {
	for _, tc := range []struct {
		limit, bodyLimit int64
		body             string
		want             int64
	}{
		{100_000, 1000, `[1,2,3]`, 4 * DecodedValueCost},
		{2000, 1500, `[1,2,3]`, 500},
	} {
		b, err := NewBodyBudget(tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := treeCharge(b, tc.bodyLimit, []byte(tc.body)); got != tc.want {
			t.Errorf("budget %d, body limit %d, %s: charged %d, want %d", tc.limit, tc.bodyLimit, tc.body, got, tc.want)
		}
	}
}

// Charge holds what fits until released, once; nothing for a charge of 0.
func TestBudgetCharge(t *testing.T) {
	b, err := NewBodyBudget(100)
	if err != nil {
		t.Fatal(err)
	}
	release, ok := b.Charge(60)
	if !ok || b.InFlight() != 60 {
		t.Fatalf("charge of 60: ok %v, %d in flight", ok, b.InFlight())
	}
	if _, ok := b.Charge(41); ok || b.InFlight() != 60 {
		t.Fatalf("charge of 41 over 60 of 100: ok %v, %d in flight", ok, b.InFlight())
	}
	if _, ok := b.Charge(0); !ok || b.InFlight() != 60 {
		t.Fatalf("charge of 0: ok %v, %d in flight", ok, b.InFlight())
	}
	release()
	release()
	if b.InFlight() != 0 {
		t.Fatalf("released twice: %d in flight", b.InFlight())
	}
}
