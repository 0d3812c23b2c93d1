package deadletter

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	write := func(provider, reason string, received time.Time) {
		t.Helper()
		_, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", Letter{Provider: provider, Reason: Reason(reason),
			Ingest: "webhook", ReceivedAt: received, Body: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	write("shop", "no_rule", now.Add(-48*time.Hour)) // 1: received two days ago, stored now
	write("shop", "no_rule", now)                    // 2
	write("shop", "eval_error", now)                 // 3
	write("other", "no_rule", now)                   // 4
	write("shop", "schema", now.Add(-time.Hour))     // 5

	tests := []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"all", Filter{}, []uint64{1, 2, 3, 4, 5}},
		{"provider", Filter{Provider: "shop"}, []uint64{1, 2, 3, 5}},
		{"reason", Filter{Reason: "no_rule"}, []uint64{1, 2, 4}},
		{"provider and reason", Filter{Provider: "shop", Reason: "no_rule"}, []uint64{1, 2}},
		{"since, by receive time", Filter{Since: 24 * time.Hour}, []uint64{2, 3, 4, 5}},
		{"since a shorter while", Filter{Since: 30 * time.Minute}, []uint64{2, 3, 4}},
		{"limit", Filter{Limit: 2}, []uint64{1, 2}},
		{"limit after the other filters", Filter{Provider: "shop", Since: 24 * time.Hour, Limit: 2}, []uint64{2, 3}},
		{"no match", Filter{Provider: "nobody"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := seqs(e.list(t, tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("List(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}

	// The Since window starts on the stream's clock: with "now" an hour
	// ahead, nothing was stored within the last half hour.
	s := NewStream(e.js, e.cfg)
	s.now = func() time.Time { return now.Add(time.Hour) }
	if ls, err := s.List(natstest.Context(t, 5*time.Second), Filter{Since: 30 * time.Minute}); err != nil || len(ls) != 0 {
		t.Errorf("List an hour ahead = %v, %v; want nothing", seqs(ls), err)
	}
}

func TestListInvalidFilter(t *testing.T) {
	e := newEnv(t)
	for _, f := range []Filter{{Provider: "a.b"}, {Reason: "*"}, {Since: -time.Second}, {Limit: -1}} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			if _, err := e.stream.List(natstest.Context(t, 5*time.Second), f); !errors.Is(err, ErrInvalidFilter) {
				t.Errorf("List error = %v, want ErrInvalidFilter", err)
			}
		})
	}
}

// TestFirstStoredSince finds where a Since window starts on the stream's
// clock, from the first, a middle and past the last message.
func TestFirstStoredSince(t *testing.T) {
	e := newEnv(t)
	var times []time.Time
	for range 7 {
		if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", Letter{Provider: "shop", Reason: ReasonNoRule, Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := natstest.Context(t, 10*time.Second)
	str, err := e.js.Stream(ctx, e.cfg.DLQStream)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 7; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, m.Time)
	}
	for i, at := range times {
		// The first message stored at or after at is the first with that time.
		want := uint64(slices.IndexFunc(times, func(x time.Time) bool { return !x.Before(at) }) + 1)
		got, err := e.stream.firstStoredSince(ctx, str, "dlq.>", 1, 7, at)
		if err != nil || got != want {
			t.Errorf("message %d: firstStoredSince = %d, %v; want %d", i+1, got, err, want)
		}
	}
	if got, _ := e.stream.firstStoredSince(ctx, str, "dlq.>", 1, 7, times[6].Add(time.Nanosecond)); got != 8 {
		t.Errorf("after the last message: %d, want 8", got)
	}
	if got, _ := e.stream.firstStoredSince(ctx, str, "dlq.>", 1, 7, times[0].Add(-time.Hour)); got != 1 {
		t.Errorf("before the first message: %d, want 1", got)
	}
}

func TestDeleteGoneIsNotAnError(t *testing.T) {
	e := newEnv(t)
	if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", Letter{Provider: "shop", Reason: ReasonNoRule, Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.stream.Delete(natstest.Context(t, 5*time.Second), 1); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if err := e.stream.Delete(natstest.Context(t, 5*time.Second), 99); err != nil {
		t.Fatalf("Delete of a sequence never used: %v", err)
	}
	if st := natstest.StreamInfoState(t, e.js, e.cfg.DLQStream); st.Msgs != 0 {
		t.Errorf("%d messages left", st.Msgs)
	}
}
