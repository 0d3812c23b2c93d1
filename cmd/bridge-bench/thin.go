package main

import (
	"bufio"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The thin forwarder is the least a webhook-to-JetStream service can do:
// read the body, publish it synchronously with a Nats-Msg-Id into a
// file-stored stream on an embedded nats-server in its own process, and
// answer 202 after the acknowledgement. No signature, no mapping, no order,
// no idempotency record. bridge-bench runs it as `bridge-bench thin-serve`
// in a process of its own, so its figures compare with a bridge subprocess.
const (
	thinCommand = "thin-serve"
	thinStream  = "THIN"
	thinSubject = "thin.delivery"
	thinBody    = 1 << 20
)

// thinNamespace makes a delivery's message id from its body.
var thinNamespace = uuid.MustParse("6f1c1f3e-7a0e-4c4e-9d0b-2f6f3c1e8a11")

// Thin is the thin forwarder's phase of a run.
type Thin struct {
	Stats    Stats   `json:"stats"`
	Warmup   int64   `json:"warmup_deliveries"`
	Stored   uint64  `json:"stream_messages"`
	StoredOK bool    `json:"stored_ok"`
	Ratio    float64 `json:"bridge_to_thin_ratio"`
	Sync     string  `json:"sync"`
}

// thinServe is `bridge-bench thin-serve --store DIR [--sync-always]`: it
// prints "ready HTTPADDR NATSURL" once it serves, and stops on SIGTERM.
func thinServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(thinCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", "", "JetStream store directory")
	syncAlways := fs.Bool("sync-always", true, "sync every write before acknowledging it")
	if err := fs.Parse(args); err != nil || *store == "" {
		fmt.Fprintln(stderr, "thin-serve: want --store DIR [--sync-always=BOOL]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := runThinServer(ctx, *store, *syncAlways, stdout); err != nil {
		fmt.Fprintf(stderr, "thin-serve: %v\n", err)
		return 1
	}
	return 0
}

func runThinServer(ctx context.Context, store string, syncAlways bool, ready io.Writer) (err error) {
	srv, err := startNATS(ctx, store, syncAlways)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, srv.Shutdown(sctx))
	}()
	nc, err := natsconn.Connect([]string{srv.ClientURL()}, "bench-thin", nil)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	_, err = js.CreateStream(sctx, jetstream.StreamConfig{
		Name: thinStream, Subjects: []string{thinSubject}, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute, Discard: jetstream.DiscardNew,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("create %s: %w", thinStream, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: thinHandler(js), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(ready, "ready %s %s\n", ln.Addr(), srv.ClientURL())
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	sctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// thinHandler reads the body, publishes it with a Nats-Msg-Id made from it
// and answers 202 {"id"} once JetStream has acknowledged it.
func thinHandler(js jetstream.JetStream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, thinBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := uuid.NewSHA1(thinNamespace, body).String()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: thinSubject, Data: body}, jetstream.WithMsgID(id))
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":%q,"duplicate":%t}`, id, ack.Duplicate)
	})
}

// thinProcess is a running `bridge-bench thin-serve`.
type thinProcess struct {
	cmd     *exec.Cmd
	http    string
	natsURL string
	logs    *tailBuffer
	exited  chan struct{}
	err     error
}

// startThin runs this executable as the thin forwarder, its store in dir.
func startThin(ctx context.Context, dir string, syncAlways bool) (*thinProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, thinCommand, "--store", filepath.Join(dir, "thin"), fmt.Sprintf("--sync-always=%t", syncAlways))
	p := &thinProcess{cmd: cmd, logs: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = p.logs
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the thin forwarder: %w", err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case line := <-lines:
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "ready" {
			p.http, p.natsURL = f[1], f[2]
			return p, nil
		}
		<-p.exited
		return nil, fmt.Errorf("the thin forwarder did not start (%v): %q\n%s", p.err, line, p.logs)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-p.exited
		return nil, fmt.Errorf("the thin forwarder did not start: %w\n%s", ctx.Err(), p.logs)
	}
}

// Stop sends SIGTERM and waits, killing it when ctx ends first.
func (p *thinProcess) Stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("thin forwarder exit: %w\n%s", p.err, p.logs)
		}
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return errors.New("the thin forwarder did not stop after SIGTERM; killed")
	}
}

// runThin drives the thin forwarder with the same deliveries, concurrency,
// warm-up and length as the bridge; bridgeRate is the bridge's
// deliveries/s, for Ratio.
func runThin(ctx context.Context, o Options, gen *generator, secret, dir string, bridgeRate float64) (t *Thin, err error) {
	p, err := startThin(ctx, dir, o.SyncAlways)
	if err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, p.Stop(sctx))
	}()
	ld, err := newLoader("http://"+p.http+"/webhooks/"+o.Provider, gen, secret, o.Concurrency)
	if err != nil {
		return nil, err
	}
	defer ld.close()
	t = &Thin{Sync: syncText(o.SyncAlways)}
	var acked, unsure int64
	if o.Warmup > 0 {
		w := ld.run(ctx, 0, o.Warmup)
		t.Warmup, acked, unsure = w.Sent, w.Stored, w.failed()
	}
	before, err := procUsage(p.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	st := ld.run(ctx, int64(o.Count), o.Duration)
	after, err := procUsage(p.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	acked += st.Stored
	unsure += st.failed()
	t.Stats = summarize(st, before, after)

	nc, js, err := connect(p.natsURL, "bridge-bench-thin")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	s, err := js.Stream(ctx, thinStream)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	t.Stored = info.State.Msgs
	t.StoredOK = int64(t.Stored) >= acked && int64(t.Stored) <= acked+unsure
	if t.Stats.Rate > 0 {
		t.Ratio = bridgeRate / t.Stats.Rate
	}
	return t, nil
}

// syncText names a sync policy in the report.
func syncText(always bool) string {
	if always {
		return "always (every write synced before it is acknowledged)"
	}
	return "every 2m (nats-server's default: acknowledged before synced)"
}

// writeThin prints the thin forwarder's part of the report.
func writeThin(w io.Writer, r *Result) {
	t := r.Thin
	fmt.Fprintln(w)
	fmt.Fprintf(w, "thin forwarder (read the body, synchronous js.Publish with a Nats-Msg-Id, 202 after the ack;\n")
	fmt.Fprintf(w, "                its own process with its own embedded nats-server, sync %s)\n", t.Sync)
	s := t.Stats
	if t.Warmup > 0 {
		fmt.Fprintf(w, "  warm-up      %d deliveries, not measured\n", t.Warmup)
	}
	fmt.Fprintf(w, "  deliveries   %d answered 202, of %d, in %.3fs\n", s.OK, s.Attempted, s.Elapsed)
	fmt.Fprintf(w, "  throughput   %.1f deliveries/s\n", s.Rate)
	fmt.Fprintf(w, "  latency      %s\n", latencyText(s.Latency))
	fmt.Fprintf(w, "  errors       %s\n", errorsText(s, "connection errors"))
	for _, e := range s.ErrSamples {
		fmt.Fprintf(w, "                 e.g. %s\n", e)
	}
	writeResources(w, s.Resources, "deliveries", "the thin forwarder's process (its nats-server included)")
	stored := "ok"
	if !t.StoredOK {
		stored = "MISMATCH"
	}
	fmt.Fprintf(w, "  stored       %s holds %d messages: %s\n", thinStream, t.Stored, stored)
	fmt.Fprintf(w, "  ratio        bridge / thin = %.3f\n", t.Ratio)
}
