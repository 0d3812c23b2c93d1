package ingest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A body is charged its buffer: with a Content-Length, the declared length
// and one byte (up to BodyPresize to begin with); without one, the limit
// and one byte up to BodyPresize, doubling as the bytes come; past a
// declared length, doubling towards the limit.
func TestReadBodyCharges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		declared int // the Content-Length; -1 for none
		limit    int64
		charged  int64
	}{
		{"declared empty", 0, 0, 1000, 1},
		{"declared 10", 10, 10, 1000, 11},
		{"undeclared 10, small limit", 10, -1, 100, 101},
		{"undeclared 10", 10, -1, 1 << 20, BodyPresize},
		{"undeclared 5000", 5000, -1, 1 << 20, 2 * BodyPresize},
		{"undeclared at the limit", 5000, -1, 5000, 5001},
		// Longer than declared (a reader outside net/http lets it through):
		// the full buffer of 11 doubles, towards the limit and one byte.
		{"longer than declared", 20, 10, 1000, 22},
		{"longer than declared, up to the limit", 20, 10, 20, 21},
		{"longer than declared, near the limit", 15, 10, 20, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudget(t, 1<<22)
			r := httptest.NewRequest(http.MethodPost, "/webhooks/x", bytes.NewReader(bytes.Repeat([]byte("x"), tc.size)))
			r.ContentLength = int64(tc.declared)
			body, release, err := b.ReadBody(httptest.NewRecorder(), r, tc.limit)
			defer release()
			if err != nil || len(body) != tc.size {
				t.Fatalf("ReadBody = %d bytes, %v; want %d", len(body), err, tc.size)
			}
			if got := b.InFlight(); got != tc.charged {
				t.Errorf("charged %d, want %d", got, tc.charged)
			}
		})
	}
}
