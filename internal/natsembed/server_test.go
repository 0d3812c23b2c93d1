package natsembed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func startT(t *testing.T, cfg Config) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStartServesJetStream(t *testing.T) {
	var logs syncBuffer
	s := startT(t, Config{
		Listen:   "127.0.0.1:-1",
		StoreDir: t.TempDir() + "/store", // created by Start
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") || strings.HasSuffix(s.ClientURL(), ":-1") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<port>", s.ClientURL())
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("JetStream account info: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "Server is ready") {
		t.Errorf("server notices not logged at Info:\n%s", out)
	}
	if strings.Contains(out, "level=DEBUG") {
		t.Errorf("debug lines should be dropped:\n%s", out)
	}
	if !strings.Contains(out, DefaultName) {
		t.Errorf("default server name %q not in the log:\n%s", DefaultName, out)
	}
}

func TestStartPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()

	s, err := Start(context.Background(), Config{Listen: addr, StoreDir: t.TempDir()})
	if err == nil {
		_ = s.Shutdown(context.Background())
		t.Fatal("Start on a taken port succeeded")
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the address %s", err, addr)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %q is not EADDRINUSE", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	if c.Listen != "127.0.0.1:4222" || c.StoreDir != "./data" || c.Name != DefaultName || c.Sync != SyncAlways {
		t.Errorf("DefaultConfig() = %+v", c)
	}
}

func TestStartInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"empty", Config{}, []string{"listen address is empty", "store directory is empty"}},
		{"no port", Config{Listen: "127.0.0.1", StoreDir: "x"}, []string{`listen address "127.0.0.1"`}},
		{"bad port", Config{Listen: "127.0.0.1:70000", StoreDir: "x"}, []string{"port must be -1 (random) or 0..65535"}},
		{"negative sync", Config{Listen: "127.0.0.1:-1", StoreDir: "x", Sync: -time.Second}, []string{"sync interval must be 0 (always) or positive, got -1s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); err == nil {
				t.Error("Validate() = nil")
			}
			_, err := Start(context.Background(), tc.cfg)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestShutdownTwice(t *testing.T) {
	s, err := Start(context.Background(), Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	url := s.ClientURL()
	for i := range 2 {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown #%d: %v", i+1, err)
		}
	}
	if nc, err := nats.Connect(url, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Errorf("server at %s still accepts clients after Shutdown", url)
	}

	var nilServer *Server
	if err := nilServer.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown on nil: %v", err)
	}
	if err := new(Server).Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown on zero Server: %v", err)
	}
}

// TestMonitorListen: a monitoring port only when asked for, on the
// address asked for, answering /varz with the sync policy.
func TestMonitorListen(t *testing.T) {
	if s := startT(t, Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()}); s.MonitorURL() != "" {
		t.Errorf("MonitorURL = %q without MonitorListen, want none", s.MonitorURL())
	}
	s := startT(t, Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), MonitorListen: "127.0.0.1:-1"})
	u := s.MonitorURL()
	if !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Fatalf("MonitorURL = %q, want http://127.0.0.1:port", u)
	}
	resp, err := http.Get(u + "/varz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var varz struct {
		JetStream struct {
			Config struct {
				SyncAlways bool `json:"sync_always"`
			} `json:"config"`
		} `json:"jetstream"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&varz); err != nil || !varz.JetStream.Config.SyncAlways {
		t.Errorf("/varz sync_always = %v (%v), want true", varz.JetStream.Config.SyncAlways, err)
	}
}

// TestStartSyncPolicy checks the policy the running server reports: by
// default it syncs every write before acknowledging it, and a Sync interval
// turns that off. That the server then really calls fsync before each
// acknowledgement is shown from the outside by cmd/bridge's
// TestAcknowledgedMeansSynced.
func TestStartSyncPolicy(t *testing.T) {
	tests := []struct {
		name     string
		sync     time.Duration
		always   bool
		interval time.Duration
	}{
		{"default: always", 0, true, 0},
		{"lazy", 2 * time.Minute, false, 2 * time.Minute},
		{"lazy short", 10 * time.Second, false, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startT(t, Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), Sync: tc.sync})
			if s.SyncAlways() != tc.always || s.SyncInterval() != tc.interval {
				t.Errorf("SyncAlways, SyncInterval = %v, %v; want %v, %v", s.SyncAlways(), s.SyncInterval(), tc.always, tc.interval)
			}
			if got := s.ns.JetStreamConfig().SyncAlways; got != tc.always {
				t.Errorf("server's JetStream config sync_always = %v, want %v", got, tc.always)
			}
		})
	}
}
