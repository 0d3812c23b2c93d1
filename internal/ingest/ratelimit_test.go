package ingest

import (
	"testing"
	"time"
)

func TestLimiters(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ls := newLimiters(RateLimit{PerSecond: 2, Burst: 3})
	for i := range 3 {
		if ok, _ := ls.allow("stripe", t0); !ok {
			t.Fatalf("delivery %d of the burst refused", i+1)
		}
	}
	ok, wait := ls.allow("stripe", t0)
	if ok || wait != 500*time.Millisecond {
		t.Errorf("delivery over the burst = %v, %s; want refused, 500ms", ok, wait)
	}
	// A refused delivery takes no token: the next one is due as before.
	if ok, wait := ls.allow("stripe", t0.Add(100*time.Millisecond)); ok || wait != 400*time.Millisecond {
		t.Errorf("second refused delivery = %v, %s; want refused, 400ms", ok, wait)
	}
	if ok, _ := ls.allow("github", t0); !ok {
		t.Error("another provider is limited by stripe's deliveries")
	}
	if ok, _ := ls.allow("stripe", t0.Add(500*time.Millisecond)); !ok {
		t.Error("delivery after the refill refused")
	}
	if len(ls.byProvider) != 2 {
		t.Errorf("%d limiters, want one per provider seen", len(ls.byProvider))
	}
}

func TestLimitersOff(t *testing.T) {
	var ls *limiters = newLimiters(RateLimit{})
	if ls != nil {
		t.Fatal("no rate limit made limiters")
	}
	for range 1000 {
		if ok, _ := ls.allow("stripe", time.Now()); !ok {
			t.Fatal("refused without a limit")
		}
	}
}

func TestRateLimitValidate(t *testing.T) {
	tests := []struct {
		name string
		l    RateLimit
		ok   bool
	}{
		{"off", RateLimit{}, true},
		{"off ignores burst", RateLimit{Burst: -1}, true},
		{"on", RateLimit{PerSecond: 0.5, Burst: 1}, true},
		{"negative", RateLimit{PerSecond: -1, Burst: 1}, false},
		{"no burst", RateLimit{PerSecond: 10}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.l.validate(); (err == nil) != tc.ok {
				t.Errorf("validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
