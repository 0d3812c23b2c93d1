package ingest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

func newBudget(t *testing.T, limit int64) *BodyBudget {
	t.Helper()
	b, err := NewBodyBudget(limit)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingReader counts the reads made of it.
type countingReader struct {
	io.Reader
	reads atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Reader.Read(p)
}

// TestBodyBudgetPresize: a declared length is not believed: a request
// declaring a megabyte holds BodyPresize of the budget while its bytes do
// not come, and the budget is charged more only as they do.
func TestBodyBudgetPresize(t *testing.T) {
	const declared = 1 << 20
	b := newBudget(t, 4<<20)
	pr, pw := io.Pipe()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/x", pr)
	r.ContentLength = declared
	type result struct {
		body    []byte
		release func()
		err     error
	}
	done := make(chan result, 1)
	go func() {
		body, release, err := b.ReadBody(httptest.NewRecorder(), r, 2<<20)
		done <- result{body, release, err}
	}()
	if _, err := pw.Write([]byte("x")); err != nil { // returns once ReadBody has the byte
		t.Fatal(err)
	}
	if got := b.InFlight(); got != BodyPresize {
		t.Errorf("in flight after 1 byte of a declared %d: %d, want %d", declared, got, BodyPresize)
	}
	if _, err := pw.Write(bytes.Repeat([]byte("y"), declared-1)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	res := <-done
	if res.err != nil || len(res.body) != declared {
		t.Fatalf("ReadBody = %d bytes, %v; want %d", len(res.body), res.err, declared)
	}
	if got := b.InFlight(); got != declared+1 {
		t.Errorf("in flight with the whole body read: %d, want %d (its buffer)", got, declared+1)
	}
	res.release()
	res.release() // twice is harmless
	if got := b.InFlight(); got != 0 {
		t.Errorf("in flight after release: %d, want 0", got)
	}
}

// TestBodyBudgetRefuses: a body that does not fit is refused before it is
// read when its first buffer does not fit, and when its buffer would grow
// past the budget otherwise; either way the charge goes back.
func TestBodyBudgetRefuses(t *testing.T) {
	tests := []struct {
		name      string
		budget    int64
		held      int64 // charged by another request first
		body      int
		declared  int64 // -1: chunked
		wantReads bool  // some of the body was read before the refusal
	}{
		{name: "first buffer does not fit", budget: 100 << 10, held: 100<<10 - BodyPresize/2, body: 20 << 10, declared: 20 << 10},
		{name: "first buffer does not fit, chunked", budget: 100 << 10, held: 100<<10 - BodyPresize/2, body: 20 << 10, declared: -1},
		{name: "growth does not fit", budget: 200 << 10, body: 300 << 10, declared: 300 << 10, wantReads: true},
		{name: "growth does not fit, chunked", budget: 200 << 10, body: 300 << 10, declared: -1, wantReads: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudget(t, tc.budget)
			if tc.held > 0 && !b.reserve(tc.held) {
				t.Fatal("could not hold")
			}
			src := &countingReader{Reader: bytes.NewReader(make([]byte, tc.body))}
			r := httptest.NewRequest(http.MethodPost, "/webhooks/x", src)
			r.ContentLength = tc.declared
			_, release, err := b.ReadBody(httptest.NewRecorder(), r, 1<<20)
			if !errors.Is(err, ErrOverBudget) {
				t.Fatalf("ReadBody: %v, want ErrOverBudget", err)
			}
			if got := src.reads.Load() > 0; got != tc.wantReads {
				t.Errorf("body read before the refusal: %v, want %v", got, tc.wantReads)
			}
			release()
			if got := b.InFlight(); got != tc.held {
				t.Errorf("in flight after release: %d, want %d (the other request's)", got, tc.held)
			}
		})
	}
}

// TestBodyBudgetReleasedOnErrors: a body too large or broken gives its
// charge back too.
func TestBodyBudgetReleasedOnErrors(t *testing.T) {
	b := newBudget(t, 1<<20)
	for name, r := range map[string]*http.Request{
		"declared too large": httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, 2000))),
		"too large, chunked": httptest.NewRequest(http.MethodPost, "/", onlyReader{bytes.NewReader(make([]byte, 2000))}),
		"broken":             httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(make([]byte, 10)), errReader{})),
	} {
		t.Run(name, func(t *testing.T) {
			if name != "declared too large" {
				r.ContentLength = -1
			}
			_, release, err := b.ReadBody(httptest.NewRecorder(), r, 1000)
			if err == nil {
				t.Fatal("ReadBody: no error")
			}
			release()
			if got := b.InFlight(); got != 0 {
				t.Errorf("in flight after release: %d, want 0", got)
			}
		})
	}
}

// TestBodyBudgetConcurrent: many readers at once never hold more than the
// budget, each is read whole or refused, and all of it comes back.
func TestBodyBudgetConcurrent(t *testing.T) {
	const budget = 512 << 10
	b := newBudget(t, budget)
	var wg sync.WaitGroup
	var peak, ok, refused atomic.Int64
	for i := range 64 {
		wg.Go(func() {
			n := 1000 + i*3000
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(bytes.Repeat([]byte{byte(i)}, n)))
			if i%2 == 1 {
				r.Body, r.ContentLength = io.NopCloser(onlyReader{bytes.NewReader(bytes.Repeat([]byte{byte(i)}, n))}), -1
			}
			body, release, err := b.ReadBody(httptest.NewRecorder(), r, 1<<20)
			defer release()
			for {
				p, now := peak.Load(), b.InFlight()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			switch {
			case errors.Is(err, ErrOverBudget):
				refused.Add(1)
			case err != nil:
				t.Errorf("reader %d: %v", i, err)
			case len(body) != n || body[n-1] != byte(i):
				t.Errorf("reader %d: got %d bytes, want %d", i, len(body), n)
			default:
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > budget {
		t.Errorf("peak in flight %d, over the budget %d", p, budget)
	}
	if got := b.InFlight(); got != 0 {
		t.Errorf("in flight at the end: %d, want 0", got)
	}
	if ok.Load()+refused.Load() != 64 || ok.Load() == 0 {
		t.Errorf("%d read, %d refused; want 64 in all, some read", ok.Load(), refused.Load())
	}
}

func TestNewBodyBudget(t *testing.T) {
	if _, err := NewBodyBudget(0); err == nil {
		t.Error("NewBodyBudget(0): no error")
	}
	var none *BodyBudget
	if none.Limit() != 0 || none.InFlight() != 0 || !none.reserve(1<<40) {
		t.Error("a nil budget must charge and refuse nothing")
	}
}
