package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/daemon"
	"github.com/bridge-dev/bridge/internal/natsembed"
)

// startTimeout bounds the start of the nats-server and of the bridge.
const startTimeout = 60 * time.Second

// secretEnv are the signing secrets the shipped mappings read; the bridge
// gets the run's random secret in each.
var secretEnv = []string{"STRIPE_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET",
	"MERCADOPAGO_WEBHOOK_SECRET", "SLACK_WEBHOOK_SECRET", "SHOPIFY_WEBHOOK_SECRET"}

// bridge is the bridge under load, in this process or a subprocess.
type bridge interface {
	HTTPAddr() string
	// Usage is the CPU time and memory of what Describe's scope says.
	Usage() (usage, error)
	// Describe names the mode and what Usage measures.
	Describe() (mode, scope string)
	Stop(ctx context.Context) error
}

// startNATS starts the embedded nats-server the bridge and the ceiling
// use (and the thin forwarder its own): JetStream, a file store in dir, a
// random loopback port, the max_payload the bridge gives its own embedded
// server, and every write synced before it is acknowledged when syncAlways
// (the bridge's default), else nats-server's default lazy sync.
func startNATS(ctx context.Context, dir string, syncAlways bool) (*natsembed.Server, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	sync := config.SyncAlways
	if !syncAlways {
		sync = lazySync
	}
	return natsembed.Start(ctx, natsembed.Config{
		Listen: "127.0.0.1:-1", StoreDir: dir, Name: "bridge-bench",
		MaxPayload: int32(config.Default().BodyLimit + 128<<10), Sync: sync,
		// The bridge reads the sync policy there, as --nats-monitor-url
		// tells it to, and batches its writes only when the server syncs
		// every one.
		MonitorListen: "127.0.0.1:-1",
	})
}

// lazySync is nats-server's default sync interval, the --sync-always=false
// setting.
const lazySync = 2 * time.Minute

// connect dials the harness's own connection (verification, ceiling).
func connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.ReconnectBufSize(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_bench_" + hex.EncodeToString(b), nil
}

// inProcess is a daemon.Daemon in this process, the way `bridge run`
// assembles it.
type inProcess struct {
	d       *daemon.Daemon
	restore func()
}

func startInProcess(ctx context.Context, o Options, natsURL, monitorURL, secret string, logf func(string, ...any)) (bridge, error) {
	// The mappings read their secrets from the environment when they load.
	restore := setEnv(secretEnv, secret)
	cfg := config.Default()
	cfg.HTTP, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Mappings, cfg.Schemas = o.Mappings, o.Schemas
	cfg.NATSURLs, cfg.NATSMonitorURL = []string{natsURL}, monitorURL
	cfg.EventsAuthSource = "bridge-bench" // none on purpose, as the subprocess's --events-auth none
	cfg.LogFormat, cfg.LogLevel = config.FormatText, slog.LevelWarn
	cfg.Archive.Enabled = !o.NoArchive
	d, err := daemon.New(cfg, cfg.Logger(o.Log))
	if err != nil {
		restore()
		return nil, fmt.Errorf("bridge: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	logf("starting the bridge in this process (mappings %s)", o.Mappings)
	if err := d.Start(sctx); err != nil { // a failed Start shuts itself down
		restore()
		return nil, fmt.Errorf("bridge: %w", err)
	}
	return &inProcess{d: d, restore: restore}, nil
}

func (b *inProcess) HTTPAddr() string      { return b.d.HTTPAddr() }
func (b *inProcess) Usage() (usage, error) { return selfUsage() }
func (b *inProcess) Describe() (string, string) {
	return "in-process", "whole bridge-bench process: the bridge, the nats-server and the load generator share it"
}

func (b *inProcess) Stop(ctx context.Context) error {
	defer b.restore()
	return b.d.Shutdown(ctx)
}

// setEnv sets each of names to value and returns what restores them.
func setEnv(names []string, value string) (restore func()) {
	type old struct {
		v  string
		ok bool
	}
	saved := map[string]old{}
	for _, n := range names {
		v, ok := os.LookupEnv(n)
		saved[n] = old{v, ok}
		os.Setenv(n, value)
	}
	return func() {
		for n, o := range saved {
			if o.ok {
				os.Setenv(n, o.v)
			} else {
				os.Unsetenv(n)
			}
		}
	}
}

// subprocess is `bridge run` in a process of its own, in its own process
// group (a ^C on the terminal reaches bridge-bench only, which stops it),
// killed by the kernel should bridge-bench die first.
type subprocess struct {
	cmd    *exec.Cmd
	bin    string
	http   string
	logs   *tailBuffer
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's error, set before exited is closed
}

func startSubprocess(ctx context.Context, o Options, natsURL, monitorURL, secret, tmp string, logf func(string, ...any)) (bridge, error) {
	bin := o.BridgeBin
	if bin == "" {
		bin = filepath.Join(tmp, "bridge")
		logf("building ./cmd/bridge")
		bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		out, err := exec.CommandContext(bctx, "go", "build", "-o", bin, "github.com/bridge-dev/bridge/cmd/bridge").CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("go build ./cmd/bridge (or give --bridge-bin): %v\n%s", err, out)
		}
	}
	var addrs [2]string
	for i := range addrs {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	cmd := exec.Command(bin, "run", "--nats-url", natsURL, "--nats-monitor-url", monitorURL, "--http", addrs[0], "--admin", addrs[1],
		"--mappings", o.Mappings, "--schemas", o.Schemas, "--log-level", "warn", "--log-format", "text", "--events-auth", "none",
		fmt.Sprintf("--archive=%t", !o.NoArchive))
	cmd.Env = childEnv(secret)
	b := &subprocess{cmd: cmd, bin: bin, http: addrs[0], logs: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	out := io.MultiWriter(o.Log, b.logs)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	logf("starting %s run --nats-url %s --http %s --admin %s", bin, natsURL, addrs[0], addrs[1])
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the bridge: %w", err)
	}
	go func() {
		b.err = cmd.Wait()
		close(b.exited)
	}()
	if err := b.waitReady(ctx, "http://"+addrs[1]+"/readyz"); err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return nil, errors.Join(err, b.Stop(sctx))
	}
	return b, nil
}

// childEnv is this process's environment without any BRIDGE_* setting
// (the bridge runs on its defaults and the flags, as in-process), with the
// run's signing secrets.
func childEnv(secret string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "BRIDGE_") || slices.Contains(secretEnv, name) {
			continue
		}
		env = append(env, kv)
	}
	for _, n := range secretEnv {
		env = append(env, n+"="+secret)
	}
	return env
}

func (b *subprocess) waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-b.exited:
			return fmt.Errorf("the bridge exited at start (%v):\n%s", b.err, b.logs)
		case <-ctx.Done():
			return fmt.Errorf("the bridge is not ready (%w):\n%s", ctx.Err(), b.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *subprocess) HTTPAddr() string      { return b.http }
func (b *subprocess) Usage() (usage, error) { return procUsage(b.cmd.Process.Pid) }
func (b *subprocess) Describe() (string, string) {
	return fmt.Sprintf("subprocess (%s, pid %d)", b.bin, b.cmd.Process.Pid),
		"the bridge process only; the nats-server and the load generator run in bridge-bench (see harness)"
}

// Stop sends SIGTERM, lets the bridge drain until ctx is done, then kills it.
func (b *subprocess) Stop(ctx context.Context) error {
	select {
	case <-b.exited:
		return nil
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
		if b.err != nil {
			return fmt.Errorf("bridge exit after SIGTERM: %w\n%s", b.err, b.logs)
		}
		return nil
	case <-ctx.Done():
		_ = b.cmd.Process.Kill()
		<-b.exited
		return fmt.Errorf("the bridge did not stop after SIGTERM; killed")
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
