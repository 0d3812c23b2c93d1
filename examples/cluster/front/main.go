// Command front is the small round-robin load balancer of `make cluster`:
// it spreads the requests it receives over the bridges, skipping a bridge
// whose /readyz does not answer 200 (polled every second), and sends a
// request to the next bridge when one cannot be reached at all. It stands
// in for the load balancer of a real deployment (a cloud load balancer, an
// ingress, HAProxy, nginx) and is not meant for production.
//
//	go run ./examples/cluster/front -listen :8080 \
//	    -backends http://127.0.0.1:8081,http://127.0.0.1:8082 \
//	    -ready http://127.0.0.1:9091/readyz,http://127.0.0.1:9092/readyz
//
// A request that reached a bridge is never sent again by the front: a
// bridge that answers, whatever the answer, or that breaks the connection
// half-way, has its answer (or the broken connection, as 502) passed on,
// and the provider's retry does the rest. Only a bridge that refused the
// connection (nothing was sent) is skipped for the next one.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxBody bounds what the front buffers of a request, so that it can send
// the same bytes to another bridge when the first refuses the connection.
// The bridge's own limit (--body-limit, 1MiB by default) is below it.
const maxBody = 8 << 20

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	backends := flag.String("backends", "http://127.0.0.1:8081,http://127.0.0.1:8082", "bridges' public URLs, comma-separated")
	ready := flag.String("ready", "", "each bridge's readiness URL (GET /readyz on its admin listener), comma-separated, in the order of -backends; empty: no checks")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	f, err := newFront(split(*backends), split(*ready), log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "front:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go f.watch(ctx, time.Second)

	srv := &http.Server{Addr: *listen, Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("front listening", "addr", *listen, "backends", *backends)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "front:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// backend is one bridge.
type backend struct {
	url   *url.URL
	ready string      // readiness URL, "" for none
	up    atomic.Bool // last readiness answer was 200 (true until checked)
}

// front balances requests over its backends, round-robin.
type front struct {
	backends []*backend
	next     atomic.Uint64
	client   *http.Client // to the backends: no timeout of its own, the request's context bounds it
	log      *slog.Logger
}

func newFront(urls, ready []string, log *slog.Logger) (*front, error) {
	if len(urls) == 0 {
		return nil, errors.New("no backend")
	}
	if len(ready) != 0 && len(ready) != len(urls) {
		return nil, fmt.Errorf("%d readiness URLs for %d backends", len(ready), len(urls))
	}
	f := &front{
		log: log,
		client: &http.Client{
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     90 * time.Second,
			},
			// Pass redirects on to the caller as they are.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	for i, u := range urls {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" {
			return nil, fmt.Errorf("backend %q: want a URL such as http://127.0.0.1:8081", u)
		}
		b := &backend{url: p}
		if len(ready) > 0 {
			b.ready = ready[i]
		}
		b.up.Store(true)
		f.backends = append(f.backends, b)
	}
	return f, nil
}

// watch polls every backend's readiness URL until ctx is done.
func (f *front) watch(ctx context.Context, every time.Duration) {
	client := &http.Client{Timeout: every}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for _, b := range f.backends {
			if b.ready == "" {
				continue
			}
			wg.Go(func() {
				up := false
				if resp, err := client.Get(b.ready); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					up = resp.StatusCode == http.StatusOK
				}
				if was := b.up.Swap(up); was != up {
					f.log.Info("backend readiness changed", "backend", b.url.String(), "ready", up)
				}
			})
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// order returns the backends to try for one request: the ready ones from
// the next in turn, then the unready ones (a bridge that says unready still
// answers, with a 503 the provider retries, which beats no answer).
func (f *front) order() []*backend {
	n := len(f.backends)
	start := int(f.next.Add(1) % uint64(n))
	var ready, unready []*backend
	for i := range n {
		b := f.backends[(start+i)%n]
		if b.up.Load() {
			ready = append(ready, b)
		} else {
			unready = append(unready, b)
		}
	}
	return append(ready, unready...)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	var last error
	for _, b := range f.order() {
		resp, err := f.forward(r, b, body)
		if err != nil {
			last = err
			if refused(err) {
				continue // nothing reached this bridge: the next one gets it
			}
			break
		}
		defer resp.Body.Close()
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
	f.log.Warn("no bridge answered", "path", r.URL.Path, "err", last)
	w.Header().Set("Retry-After", "1")
	http.Error(w, "no bridge answered", http.StatusBadGateway)
}

// forward sends the request to b and returns its answer.
func (f *front) forward(r *http.Request, b *backend, body []byte) (*http.Response, error) {
	u := *b.url
	u.Path = strings.TrimSuffix(u.Path, "/") + r.URL.Path
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyHeader(req.Header, r.Header)
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	req.Host = r.Host
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		req.Header.Set("X-Forwarded-For", ip)
	}
	return f.client.Do(req)
}

// refused reports whether err means the connection was never made, so the
// request was not sent.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// hopHeaders are not passed on (RFC 9110, section 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
	for _, h := range hopHeaders {
		dst.Del(h)
	}
}
