package ingest

import (
	"encoding/json"
	"testing"
)

// appendJSONString writes every string as encoding/json does, each
// character it escapes (or leaves to it) alone in its string too.
func TestAppendJSONStringAlone(t *testing.T) {
	for _, s := range []string{"", "plain", " ", "~", "\x7f", `"`, `\`, "<", ">", "&", "\x01", "\x1f", "\xff", "é", "\u2028"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: wrote %s, encoding/json writes %s", s, got, want)
		}
	}
}

// A body budget holds bodies up to its limit exactly.
func TestBodyBudgetUpToItsLimit(t *testing.T) {
	b, err := NewBodyBudget(10)
	if err != nil {
		t.Fatal(err)
	}
	if !b.reserve(4) || !b.reserve(6) {
		t.Fatal("10 bytes refused by a budget of 10")
	}
	if b.reserve(1) {
		t.Fatal("an 11th byte held by a budget of 10")
	}
	b.free(10)
	if got := b.InFlight(); got != 0 || !b.reserve(10) {
		t.Fatalf("after freeing: %d in flight, 10 bytes refused", got)
	}
}
