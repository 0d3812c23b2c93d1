package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

var (
	errTransient = errors.New("transient")
	errPermanent = errors.New("permanent")
)

func TestDo(t *testing.T) {
	retryable := func(err error) bool { return !errors.Is(err, errPermanent) }
	tests := []struct {
		name string
		// fail is the error of each attempt in turn; attempts past its end succeed.
		fail         []error
		cancelAfter  int // cancel ctx after this many attempts (0: never)
		wantAttempts int
		wantErr      error
	}{
		{name: "first attempt succeeds", wantAttempts: 1},
		{name: "succeeds after 3 failures", fail: []error{errTransient, errTransient, errTransient}, wantAttempts: 4},
		{name: "permanent error stops", fail: []error{errTransient, errPermanent, errTransient}, wantAttempts: 2, wantErr: errPermanent},
		{name: "ctx end stops", fail: []error{errTransient, errTransient, errTransient, errTransient}, cancelAfter: 2, wantAttempts: 2, wantErr: errTransient},
		{name: "permanent before ctx end", fail: []error{errPermanent}, cancelAfter: 1, wantAttempts: 1, wantErr: errPermanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls, retries int
			p := Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond, Jitter: Full, Retryable: retryable,
				OnRetry: func(attempt int, wait time.Duration, err error) {
					retries++
					if attempt != calls || wait < 0 || wait >= 4*time.Millisecond || !errors.Is(err, errTransient) {
						t.Errorf("OnRetry(%d, %s, %v) after %d calls", attempt, wait, err, calls)
					}
				}}
			n, err := Do(ctx, p, func(context.Context) error {
				calls++
				if calls == tc.cancelAfter {
					cancel()
				}
				if calls <= len(tc.fail) {
					return tc.fail[calls-1]
				}
				return nil
			})
			if n != tc.wantAttempts || calls != tc.wantAttempts || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Do = %d, %v after %d calls; want %d, %v", n, err, calls, tc.wantAttempts, tc.wantErr)
			}
			if want := tc.wantAttempts - 1; retries != want && tc.wantErr == nil {
				t.Errorf("OnRetry called %d times, want %d", retries, want)
			}
		})
	}
}

// A cancelled ctx stops a wait: with an hour's backoff Do returns as soon
// as ctx ends.
func TestDoCtxEndsDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Initial: time.Hour, Max: time.Hour, OnRetry: func(int, time.Duration, error) { cancel() }}
	n, err := Do(ctx, p, func(context.Context) error { return errTransient })
	if n != 1 || !errors.Is(err, errTransient) || ctx.Err() == nil {
		t.Fatalf("Do = %d, %v (ctx %v); want 1, %v after ctx ended", n, err, ctx.Err(), errTransient)
	}
}

// Each attempt gets its own deadline, AttemptTimeout away, unless ctx's
// own comes first; with no AttemptTimeout it gets ctx.
func TestDoAttemptTimeout(t *testing.T) {
	tests := []struct {
		name         string
		ctxTimeout   time.Duration // 0: no deadline
		attempt      time.Duration
		wantDeadline bool
		wantCtx      bool // the attempt gets ctx itself
	}{
		{name: "attempt timeout", attempt: time.Minute, wantDeadline: true},
		{name: "no attempt timeout", wantCtx: true},
		{name: "ctx deadline sooner", ctxTimeout: time.Second, attempt: time.Hour, wantDeadline: true, wantCtx: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			_, err := Do(ctx, Policy{AttemptTimeout: tc.attempt}, func(actx context.Context) error {
				if _, ok := actx.Deadline(); ok != tc.wantDeadline {
					t.Errorf("attempt has a deadline: %v, want %v", ok, tc.wantDeadline)
				}
				if (actx == ctx) != tc.wantCtx {
					t.Errorf("attempt got ctx itself: %v, want %v", actx == ctx, tc.wantCtx)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Waits stay within the jitter's range of the ceiling, which doubles up
// to Max.
func TestJitterDraw(t *testing.T) {
	for _, tc := range []struct {
		name   string
		j      Jitter
		lo, hi time.Duration // inclusive bounds for a ceiling of 100ms
	}{
		{"none", None, 100 * time.Millisecond, 100 * time.Millisecond},
		{"full", Full, 0, 100*time.Millisecond - 1},
		{"equal", Equal, 50 * time.Millisecond, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 1000 {
				if w := tc.j.draw(100 * time.Millisecond); w < tc.lo || w > tc.hi {
					t.Fatalf("draw(100ms) = %s, want in [%s, %s]", w, tc.lo, tc.hi)
				}
			}
		})
	}
	var waits []time.Duration
	n, _ := Do(context.Background(), Policy{Initial: time.Microsecond, Max: 4 * time.Microsecond,
		OnRetry: func(_ int, w time.Duration, _ error) { waits = append(waits, w) }},
		func(context.Context) error {
			if len(waits) < 5 {
				return errTransient
			}
			return nil
		})
	want := []time.Duration{1, 2, 4, 4, 4}
	for i := range want {
		want[i] *= time.Microsecond
	}
	if n != 6 || len(waits) != len(want) {
		t.Fatalf("Do made %d attempts with waits %v, want 6 with %v", n, waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

// TestBackoff: the waits double from Initial up to Max, drawn by the
// jitter; Reset starts again.
func TestBackoff(t *testing.T) {
	b := Policy{Initial: 10 * time.Millisecond, Max: 45 * time.Millisecond}.Backoff()
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
	}
	want := []time.Duration{10, 20, 40, 45, 45}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits %v, want %v ms", got, want)
		}
	}
	b.Reset()
	if w := b.Next(); w != 10*time.Millisecond {
		t.Errorf("after Reset: %v, want 10ms", w)
	}
	eq := Policy{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: Equal}.Backoff()
	for c := 100 * time.Millisecond; c <= time.Second; c *= 2 {
		if w := eq.Next(); w < c/2 || w > c {
			t.Errorf("equal jitter of %v: %v", c, w)
		}
	}
}
