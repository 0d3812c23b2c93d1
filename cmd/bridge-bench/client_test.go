package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// echo answers a POST with its body, as its X-Answer header asks: closing
// the connection, in chunks, or only once the request's context is done
// (after a send on hung).
func echo(t *testing.T, hung chan<- struct{}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.ContentLength != int64(len(body)) {
			http.Error(w, fmt.Sprintf("%s, %d of %d bytes: %v", r.Method, len(body), r.ContentLength, err), http.StatusBadRequest)
			return
		}
		switch r.Header.Get("X-Answer") {
		case "close":
			w.Header().Set("Connection", "close")
		case "chunked":
			w.WriteHeader(http.StatusAccepted)
			for _, b := range bytes.SplitAfter(body, []byte(",")) {
				_, _ = w.Write(b)
				w.(http.Flusher).Flush()
			}
			return
		case "hang":
			hung <- struct{}{}
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClientKeepsConnectionsAlive(t *testing.T) {
	srv := echo(t, nil)
	c, err := newClient(srv.URL+"/webhooks/x", http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	ctx := t.Context()
	send := func(x *exchange, answer, body string) {
		t.Helper()
		req := c.request(x)
		if answer != "" {
			req = append(req, "X-Answer: "+answer+"\r\n"...)
		}
		x.req = finish(req, []byte(body))
		status, err := c.roundTrip(ctx, x, time.Minute)
		if err != nil || status != http.StatusAccepted || string(x.body) != body {
			t.Fatalf("%s answer: %d %q, %v; want 202 %q", answer, status, x.body, err, body)
		}
	}

	var x exchange
	for i := range 5 {
		send(&x, "", fmt.Sprintf(`{"n":%d,"pad":%q}`, i, strings.Repeat("x", i*1000)))
	}
	send(&x, "chunked", `{"a":1,"b":2,"c":3}`)
	if n := c.dials.Load(); n != 1 {
		t.Errorf("%d connections opened for keep-alive requests, want 1", n)
	}
	// A phase ends: the connection waits for the next one.
	c.put(&x)
	var y exchange
	send(&y, "", `{}`)
	if n := c.dials.Load(); n != 1 {
		t.Errorf("%d connections opened after a phase, want still 1", n)
	}

	// The server closes: the next request dials again.
	send(&y, "close", `{"last":true}`)
	send(&y, "", `{}`)
	if n := c.dials.Load(); n != 2 {
		t.Errorf("%d connections opened, want 2 after the server closed one", n)
	}
	c.put(&y)
}

func TestClientInterrupted(t *testing.T) {
	hung := make(chan struct{})
	srv := echo(t, hung)
	c, err := newClient(srv.URL+"/webhooks/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	ctx, cancel := context.WithCancel(t.Context())
	var x exchange
	x.req = finish(append(c.request(&x), "X-Answer: hang\r\n"...), []byte("{}"))
	done := make(chan error, 1)
	go func() {
		_, err := c.roundTrip(ctx, &x, time.Hour)
		done <- err
	}()
	<-hung // the request is in the server's hands
	cancel()
	if err := <-done; err == nil {
		t.Fatal("an interrupted exchange succeeded")
	}
	if x.conn != nil {
		t.Error("an interrupted connection was kept")
	}
	c.put(&x)
	if len(c.idle) != 0 {
		t.Errorf("%d idle connections after an interrupt, want 0", len(c.idle))
	}
}

func TestNewClientURL(t *testing.T) {
	for _, u := range []string{"https://localhost/x", "http:///x", "::"} {
		if _, err := newClient(u, nil); err == nil {
			t.Errorf("newClient(%q) succeeded", u)
		}
	}
}
