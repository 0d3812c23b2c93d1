package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// The chaos tests run the real binary against a NATS server of the test's
// own, with senders that behave like a provider: every delivery is retried
// on any non-2xx answer or broken connection until it gets a 2xx. Whatever
// happens to the bridge or to NATS in between, the stream must end up with
// exactly one event per delivery.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// bridgeBinary builds cmd/bridge once per test run.
func bridgeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bridge-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "bridge")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is one `bridge run` subprocess.
type proc struct {
	cmd    *exec.Cmd
	logs   *natstest.Buffer
	exited chan error
	addrs  bridgeAddrs // where it listens, read back from its log
}

type bridgeAddrs struct{ http, admin, nats string }

// startProc runs `bridge run` against the NATS server at a.nats. A
// listener that a leaves empty is bound by the bridge itself to
// 127.0.0.1:0, and its address is read back from the bridge's log into
// p.addrs: no port is picked ahead of the process and lost to another one
// meanwhile. A test that restarts a bridge on the same ports passes the
// first one's p.addrs. It returns once the bridge is ready.
func startProc(t *testing.T, a bridgeAddrs, extra ...string) *proc {
	t.Helper()
	if a.http == "" {
		a.http = "127.0.0.1:0"
	}
	if a.admin == "" {
		a.admin = "127.0.0.1:0"
	}
	mappings, _ := filepath.Abs("../../mappings")
	schemas, _ := filepath.Abs("../../schemas")
	args := append([]string{"run", "--mappings", mappings, "--schemas", schemas, "--http", a.http, "--admin", a.admin,
		"--nats-url", a.nats, "--log-format", "text", "--events-auth", "none", "--request-timeout", "2s", "--ingest-ack-wait", "3s", "--grace", "10s"}, extra...)
	p := launch(t, exec.Command(bridgeBinary(t), args...))
	p.addrs.nats = a.nats
	for _, l := range [][2]string{{a.http, p.addrs.http}, {a.admin, p.addrs.admin}} {
		if !strings.HasSuffix(l[0], ":0") && l[0] != l[1] {
			t.Fatalf("bridge asked to listen on %s listens on %s", l[0], l[1])
		}
	}
	return p
}

// launch starts cmd, a `bridge run` (or a command wrapping one), with the
// example signing secrets; reads back where it listens from its log; and
// returns once it is ready. The process is killed at the test's end, and
// its logs shown if the test failed.
func launch(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	cmd.Env = append(append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_x", "GITHUB_WEBHOOK_SECRET=gh_x"), shippedSecrets...)
	p := &proc{cmd: cmd, logs: &natstest.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("bridge logs:\n%s", p.logs.String())
		}
	})
	p.addrs.http, p.addrs.admin = listening(t, p.logs, p.exited)
	waitReady(t, "http://"+p.addrs.admin+"/readyz", p)
	return p
}

func waitReady(t *testing.T, url string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-p.exited:
			t.Fatalf("bridge exited: %v\n%s", err, p.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("bridge not ready\n%s", p.logs.String())
}

// load sends n unique Pix deliveries from `senders` goroutines, each retried
// until a 2xx (bounded by ctx). It records what each delivery was answered.
type load struct {
	url       string
	n         int
	done      atomic.Int64 // deliveries answered 2xx
	non2xx    atomic.Int64 // answers that were not 2xx (each retried)
	errs      atomic.Int64 // broken connections (each retried)
	mu        sync.Mutex
	answered  map[int]string // delivery -> event id of its first 2xx
	statusSaw map[int]int    // status -> count
	// gate, when set, holds every delivery from gateAt on until it is
	// closed, so that a test can make those deliveries happen after an
	// event of its own (an outage), however fast the first ones went.
	gate   chan struct{}
	gateAt int
}

func pixDelivery(i int) []byte {
	return []byte(fmt.Sprintf(`{"pix":[{"endToEndId":"E12345678202601011200%011d","txid":"chaos%d","valor":"%d.00","chave":"a@b.c","horario":"2026-01-01T12:00:00Z"}]}`, i, i, 1+i%900))
}

func (l *load) run(ctx context.Context, senders int) error {
	client := &http.Client{Timeout: 5 * time.Second}
	work := make(chan int, l.n)
	for i := range l.n {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if l.gate != nil && i >= l.gateAt {
					select {
					case <-l.gate:
					case <-ctx.Done():
						errc <- fmt.Errorf("delivery %d was never let through its gate: %w", i, ctx.Err())
						return
					}
				}
				for {
					if ctx.Err() != nil {
						errc <- fmt.Errorf("delivery %d never got a 2xx: %w", i, ctx.Err())
						return
					}
					resp, err := client.Post(l.url, "application/json", bytes.NewReader(pixDelivery(i)))
					if err != nil {
						l.errs.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue
					}
					var a struct {
						Events []struct{ ID string } `json:"events"`
					}
					_ = json.NewDecoder(resp.Body).Decode(&a)
					resp.Body.Close()
					l.mu.Lock()
					l.statusSaw[resp.StatusCode]++
					l.mu.Unlock()
					if resp.StatusCode/100 != 2 {
						l.non2xx.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue
					}
					if len(a.Events) != 1 {
						errc <- fmt.Errorf("delivery %d: 2xx with %d events", i, len(a.Events))
						return
					}
					l.mu.Lock()
					if _, seen := l.answered[i]; !seen {
						l.answered[i] = a.Events[0].ID
					}
					l.mu.Unlock()
					l.done.Add(1)
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func newLoad(url string, n int) *load {
	return &load{url: url, n: n, answered: map[int]string{}, statusSaw: map[int]int{}}
}

// checkExactlyOnce reads the whole EVENTS stream: one event per delivery,
// no idempotency key twice, and each event id a 2xx answered is there.
func checkExactlyOnce(t *testing.T, js jetstream.JetStream, l *load) {
	t.Helper()
	msgs := natstest.StreamMessages(t, js, "EVENTS")
	ids := map[string]bool{}
	keys := map[string]bool{}
	for _, m := range msgs {
		var ev struct{ ID, IdempotencyKey string }
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if keys[ev.IdempotencyKey] {
			t.Errorf("idempotency key %s stored twice", ev.IdempotencyKey)
		}
		keys[ev.IdempotencyKey], ids[ev.ID] = true, true
	}
	if len(msgs) != l.n {
		t.Errorf("EVENTS holds %d events, want exactly %d", len(msgs), l.n)
	}
	for i, id := range l.answered {
		if !ids[id] {
			t.Errorf("delivery %d was answered 2xx with event %s, which is not in the stream", i, id)
		}
	}
}

// TestChaosKillBridgeUnderLoad: kill -9 the bridge in the middle of a load
// and start it again; the stream holds exactly one event per delivery.
func TestChaosKillBridgeUnderLoad(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	first := startProc(t, bridgeAddrs{nats: srv.URL()})
	a := first.addrs
	l, result := startLoad(t, a)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	startProc(t, a) // the same ports; the senders keep retrying meanwhile
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	t.Logf("answers by status %v, broken connections %d", l.statusSaw, l.errs.Load())
	checkExactlyOnce(t, js, l)
}

// TestChaosNATSOutageUnderLoad: stop NATS for a while during a load; the
// bridge answers 503 meanwhile, recovers by itself, and the stream holds
// exactly one event per delivery.
func TestChaosNATSOutageUnderLoad(t *testing.T) {
	srv := natstest.Start(t)
	a := startProc(t, bridgeAddrs{nats: srv.URL()}).addrs
	// Half the deliveries go before the outage; the other half wait at the
	// gate until NATS is down, so the outage happens under load whatever
	// the machine's speed.
	l := newLoad("http://"+a.http+"/webhooks/pix", 400)
	l.gate, l.gateAt = make(chan struct{}), 200
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- l.run(ctx, 8) }()
	waitProgress(t, l, 200)
	srv.Stop(t)
	close(l.gate)
	// Wait until the bridge has said 503 a few times, then bring NATS back.
	natstest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if n := l.statusSaw[http.StatusServiceUnavailable]; n < 10 {
			return fmt.Errorf("%d 503 answers while NATS was down, want 10", n)
		}
		return nil
	})
	srv.Restart(t)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	t.Logf("answers by status %v, broken connections %d", l.statusSaw, l.errs.Load())
	_, js := natstest.Connect(t, srv.URL())
	checkExactlyOnce(t, js, l)
}

// TestChaosGracefulShutdownUnderLoad: SIGTERM in the middle of a load: the
// bridge drains and exits 0, nothing it answered 2xx is missing, and after
// a restart the rest of the deliveries are stored exactly once.
func TestChaosGracefulShutdownUnderLoad(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	first := startProc(t, bridgeAddrs{nats: srv.URL()})
	a := first.addrs
	l, result := startLoad(t, a)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-first.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM under load: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	startProc(t, a)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, js, l)
}

// startLoad sends 400 unique deliveries to the bridge at a, from 8 retrying
// senders, and returns once 100 are stored; the run's outcome arrives on
// the channel.
func startLoad(t *testing.T, a bridgeAddrs) (*load, <-chan error) {
	t.Helper()
	l := newLoad("http://"+a.http+"/webhooks/pix", 400)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	result := make(chan error, 1)
	go func() { result <- l.run(ctx, 8) }()
	waitProgress(t, l, 100)
	return l, result
}

func waitProgress(t *testing.T, l *load, n int64) {
	t.Helper()
	natstest.CheckFor(t, 60*time.Second, 5*time.Millisecond, func() error {
		if d := l.done.Load(); d < n {
			return fmt.Errorf("only %d deliveries done", d)
		}
		return nil
	})
}

// TestChaosKillBridgeDuringNATSIngest: raw payloads wait in INGEST; the
// bridge is killed with -9 while it works through them and started again:
// every payload becomes exactly one event (a message stored but not
// acknowledged comes back and is a duplicate), and INGEST ends empty.
func TestChaosKillBridgeDuringNATSIngest(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	first := startProc(t, bridgeAddrs{nats: srv.URL()}) // creates the INGEST stream and its consumer
	a := first.addrs
	const n = 600
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for i := range n {
		if _, err := js.Publish(ctx, "ingest.pix", pixDelivery(i)); err != nil {
			t.Fatal(err)
		}
	}
	natstest.CheckFor(t, 60*time.Second, 2*time.Millisecond, func() error {
		if c := streamCount(t, js, "EVENTS"); c < n/4 {
			return fmt.Errorf("ingest made no progress: %d events", c)
		}
		return nil
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killedAt := streamCount(t, js, "EVENTS")
	restarted := time.Now()
	startProc(t, a)
	natstest.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		if c := streamCount(t, js, "INGEST"); c > 0 {
			return fmt.Errorf("INGEST still holds %d messages", c)
		}
		return nil
	})
	t.Logf("killed with %d of %d events stored; the rest took %s", killedAt, n, time.Since(restarted))
	l := newLoad("", n) // nothing was answered over HTTP: only count and uniqueness
	checkExactlyOnce(t, js, l)
}

func streamCount(t *testing.T, js jetstream.JetStream, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}
