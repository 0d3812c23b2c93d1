package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bridgeStub answers every request with its name, the path and the body it
// got, and its readiness on /readyz.
func bridgeStub(t *testing.T, name string, ready *atomic.Bool) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			if !ready.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Bridge", name)
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, name+" "+r.URL.RequestURI()+" "+string(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func send(t *testing.T, f http.Handler, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestRoundRobinSkipsUnreadyAndUnreachable(t *testing.T) {
	var up1, up2 atomic.Bool
	up1.Store(true)
	up2.Store(true)
	b1, b2 := bridgeStub(t, "b1", &up1), bridgeStub(t, "b2", &up2)
	// A backend nobody listens on: a port that was just free.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()

	f, err := newFront([]string{b1.URL, dead, b2.URL}, []string{b1.URL + "/readyz", "", b2.URL + "/readyz"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range 6 {
		code, body := send(t, f, "/webhooks/pix?x=1", "payload")
		if code != http.StatusAccepted || !strings.HasSuffix(body, " /webhooks/pix?x=1 payload") {
			t.Fatalf("answer %d %q", code, body)
		}
		seen[body[:2]]++
	}
	if seen["b1"] == 0 || seen["b2"] == 0 || seen["b1"]+seen["b2"] != 6 {
		t.Fatalf("spread %v, want both bridges and no failure", seen)
	}

	// b2 says unready: everything goes to b1.
	up2.Store(false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.watch(ctx, 10*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for f.backends[2].up.Load() {
		if time.Now().After(deadline) {
			t.Fatal("b2 still counted as ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 4 {
		if _, body := send(t, f, "/webhooks/pix", ""); !strings.HasPrefix(body, "b1") {
			t.Fatalf("answer %q from an unready bridge", body)
		}
	}

	// Nobody reachable: 502 with Retry-After.
	b1.Close()
	b2.Close()
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/pix", strings.NewReader("x")))
	if rec.Code != http.StatusBadGateway || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("no backend: %d %v", rec.Code, rec.Header())
	}
}

func TestNewFrontRejectsBadFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if _, err := newFront(nil, nil, log); err == nil {
		t.Error("no backend accepted")
	}
	if _, err := newFront([]string{"127.0.0.1:8081"}, nil, log); err == nil {
		t.Error("a backend without scheme accepted")
	}
	if _, err := newFront([]string{"http://a:1", "http://b:1"}, []string{"http://a:2/readyz"}, log); err == nil {
		t.Error("one readiness URL for two backends accepted")
	}
}
