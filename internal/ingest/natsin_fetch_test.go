package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
)

// stallRelay forwards TCP connections to a NATS server; stall(true) stops
// passing what the server sends (the bytes wait in the socket buffers)
// while the connection stays up, as a stalled network path does, and
// stall(false) passes them on again.
type stallRelay struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	resume  chan struct{} // closed when a stall ends
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startStallRelay(t *testing.T, target string) *stallRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &stallRelay{ln: ln, target: strings.TrimPrefix(target, "nats://"), resume: make(chan struct{})}
	close(r.resume)
	r.wg.Go(r.accept)
	t.Cleanup(r.close)
	return r
}

func (r *stallRelay) url() string { return "nats://" + r.ln.Addr().String() }

func (r *stallRelay) accept() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			in.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, in, out)
		r.mu.Unlock()
		r.wg.Go(func() {
			_, _ = io.Copy(out, in)
			out.Close()
			in.Close()
		})
		r.wg.Go(func() {
			r.pump(in, out)
			out.Close()
			in.Close()
		})
	}
}

// pump copies the server's bytes to the client, waiting out stalls.
func (r *stallRelay) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		r.mu.Lock()
		resume := r.resume
		r.mu.Unlock()
		<-resume
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			resume = r.resume
			r.mu.Unlock()
			<-resume // read during a stall: held until it ends
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *stallRelay) stall(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case on && !r.stalled:
		r.resume = make(chan struct{})
	case !on && r.stalled:
		close(r.resume)
	}
	r.stalled = on
}

func (r *stallRelay) close() {
	r.ln.Close()
	r.stall(false)
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// A fetch that fails while the ingestor runs (here: the pull request's
// heartbeats stop coming, the connection up but stalled) is logged and
// fetched again; the ingestor goes on consuming once the path is back.
// Only a fetch error while stopping ends the dispatch loop.
func TestNATSIngestFetchErrorIsRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs natstest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	st := startStore(ctx, t, log)
	cfg := DefaultNATSConfig()
	cfg.Logger = log
	if err := publish.EnsureStream(ctx, st.js, st.pcfg, cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	dlw, err := deadletter.NewWriter(st.publisher, st.pcfg)
	if err != nil {
		t.Fatal(err)
	}
	relay := startStallRelay(t, st.srv.URL())
	nc, _ := natstest.Connect(t, relay.url())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNATS(js, nc, func() Mappings { return st.set }, pipeline.New(st.publisher, pipeline.Options{Logger: log}), dlw, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	stored := func(want int) {
		t.Helper()
		natstest.CheckFor(t, 20*time.Second, 25*time.Millisecond, func() error {
			if got := len(natstest.StreamMessages(t, st.js, st.pcfg.Stream)); got != want {
				return fmt.Errorf("%d events stored, want %d", got, want)
			}
			return nil
		})
	}
	publishOrder := func(id string) {
		t.Helper()
		if _, err := st.js.Publish(ctx, "ingest.shop", fmt.Appendf(nil, `{"id":%q,"kind":"paid","note":"n"}`, id)); err != nil {
			t.Fatal(err)
		}
	}
	publishOrder("ord_before")
	stored(1)

	relay.stall(true)
	t.Cleanup(func() { relay.stall(false) }) // before Shutdown, should the test fail stalled
	// Missing heartbeats are reported after two heartbeat periods (the
	// pull expiry is 5 s, its heartbeat 2.5 s).
	natstest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), `"msg":"nats ingest: fetch"`) {
			return errors.New("no fetch error logged while the path is stalled")
		}
		return nil
	})
	relay.stall(false)
	publishOrder("ord_after")
	stored(2)
}
