package backfill_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/bridge-dev/bridge/internal/backfill"
)

// TestBackfillRedirects: the API key goes only where the list API is. A
// redirect to another origin is refused before anything is sent there
// (the attack of 2026-12-06 had Go copy a custom key header to another
// host, and Authorization to an http:// downgrade).
func TestBackfillRedirects(t *testing.T) {
	r := setup(t, 3)
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(other.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, other.URL+"/v1/events?"+req.URL.RawQuery, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	o := r.options()
	o.URL = redirector.URL + "/v1/events"
	_, err := r.run(t, r.pipe, o)
	if !errors.Is(err, backfill.ErrRedirect) {
		t.Fatalf("a redirect to another origin: %v, want ErrRedirect", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other origin got %d request(s)", n)
	}
}
