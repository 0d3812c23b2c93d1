package ingest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// onlyReader hides a body's type, so that httptest.NewRequest cannot tell
// its length: a request without Content-Length.
type onlyReader struct{ io.Reader }

func TestReadBody(t *testing.T) {
	const limit = 1000
	var b *BodyBudget // none: ReadBody as it is without --max-inflight-bytes
	body := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	tests := []struct {
		name          string
		body          []byte
		contentLength int64 // as the request declares it; -1: not declared
		want          []byte
		tooLarge      bool
	}{
		{name: "empty", body: nil, contentLength: 0, want: []byte{}},
		{name: "declared", body: body(700), contentLength: 700, want: body(700)},
		{name: "at the limit", body: body(limit), contentLength: limit, want: body(limit)},
		{name: "over the limit, declared", body: body(limit + 1), contentLength: limit + 1, tooLarge: true},
		{name: "undeclared", body: body(700), contentLength: -1, want: body(700)},
		{name: "undeclared at the limit", body: body(limit), contentLength: -1, want: body(limit)},
		{name: "undeclared over the limit", body: body(limit + 1), contentLength: -1, tooLarge: true},
		{name: "longer than declared", body: body(700), contentLength: 10, want: body(700)},
		{name: "longer than declared, over the limit", body: body(5 * limit), contentLength: 10, tooLarge: true},
		{name: "shorter than declared", body: body(10), contentLength: 700, want: body(10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/x", onlyReader{bytes.NewReader(tc.body)})
			r.ContentLength = tc.contentLength
			got, release, err := b.ReadBody(httptest.NewRecorder(), r, limit)
			release()
			var mbe *http.MaxBytesError
			switch {
			case tc.tooLarge && !errors.As(err, &mbe):
				t.Fatalf("ReadBody = %d bytes, %v; want a MaxBytesError", len(got), err)
			case tc.tooLarge:
				if mbe.Limit != limit {
					t.Errorf("MaxBytesError.Limit = %d, want %d", mbe.Limit, limit)
				}
			case err != nil:
				t.Fatalf("ReadBody: %v", err)
			case !bytes.Equal(got, tc.want):
				t.Errorf("ReadBody = %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestReadBodyError: a body that fails half-way is an error, not a short
// body.
func TestReadBodyError(t *testing.T) {
	var b *BodyBudget
	broken := io.MultiReader(strings.NewReader("abc"), errReader{})
	r := httptest.NewRequest(http.MethodPost, "/webhooks/x", broken)
	r.ContentLength = 100
	if got, _, err := b.ReadBody(httptest.NewRecorder(), r, 1000); !errors.Is(err, errBroken) {
		t.Errorf("ReadBody = %q, %v; want %v", got, err, errBroken)
	}
}

var errBroken = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
