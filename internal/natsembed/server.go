package natsembed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds Start when the caller's context has no earlier
// deadline. Recovering a large JetStream store can take a while.
const startTimeout = 30 * time.Second

// Server is a running embedded nats-server with JetStream.
type Server struct {
	ns   *server.Server
	url  string
	once sync.Once
	done chan struct{} // closed when shutdown has completed
}

// Start validates cfg, starts nats-server with JetStream on cfg.Listen and
// waits until it accepts clients. It fails with an error naming the address
// when the port is taken. Start is bounded by ctx and by an internal timeout
// of 30s; on failure it shuts down whatever it began.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("natsembed: invalid config: %w", err)
	}
	host, port, _ := splitListen(cfg.Listen)
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsembed: store directory: %w", err)
	}
	if port > 0 {
		// nats-server enables JetStream on the store before it binds the
		// client port and reports a bind failure only in its log; trying the
		// port first gives a plain error (errors.Is syscall.EADDRINUSE).
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("natsembed: cannot listen for clients: %w", err)
		}
		if err := l.Close(); err != nil {
			return nil, fmt.Errorf("natsembed: cannot listen for clients: %w", err)
		}
	}

	ns, err := server.NewServer(serverOptions(cfg, name, host, port))
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	log := newServerLogger(cfg.Logger)
	ns.SetLoggerV2(log, false, false, false)

	// Server.Start returns once the client listener is up or start-up has
	// failed; run it aside so ctx can bound it.
	started := make(chan struct{})
	go func() {
		defer close(started)
		ns.Start()
	}()
	fail := func(cause error) (*Server, error) {
		ns.Shutdown()
		<-started
		ns.WaitForShutdown()
		return nil, fmt.Errorf("natsembed: start nats-server on %s: %w", cfg.Listen, cause)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-started:
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-timer.C:
		return fail(fmt.Errorf("not started after %s", startTimeout))
	}
	if msg := log.fatalMsg(); msg != "" {
		return fail(errors.New(msg))
	}
	if !ns.ReadyForConnections(time.Second) {
		return fail(errors.New("not ready for connections"))
	}
	if !ns.JetStreamEnabled() {
		return fail(errors.New("JetStream is not enabled"))
	}
	addr, ok := ns.Addr().(*net.TCPAddr)
	if !ok {
		return fail(errors.New("no client listener"))
	}
	return &Server{
		ns:   ns,
		url:  "nats://" + net.JoinHostPort(clientHost(host), strconv.Itoa(addr.Port)),
		done: make(chan struct{}),
	}, nil
}

// serverOptions are nats-server's options for cfg.
func serverOptions(cfg Config, name, host string, port int) *server.Options {
	opts := &server.Options{
		ServerName: name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		MaxPayload: cfg.MaxPayload,
	}
	if cfg.MonitorListen != "" {
		opts.HTTPHost, opts.HTTPPort, _ = splitListen(cfg.MonitorListen)
	}
	if cfg.Sync == 0 {
		// What a config file's sync_interval: always sets: every write is
		// synced before the stream acknowledges it. The interval then only
		// paces the background sync of the stores' other files.
		opts.SyncAlways, opts.SyncInterval = true, lazySyncDefault
	} else {
		opts.SyncInterval = cfg.Sync
	}
	return opts
}

// lazySyncDefault is nats-server's own background sync interval.
const lazySyncDefault = 2 * time.Minute

// clientHost is the host clients dial: the listen host, or loopback when the
// server listens on every interface.
func clientHost(host string) string {
	switch host {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return host
}

// ClientURL returns the URL clients connect to, nats://host:port, with the
// actual port when a random one was asked for.
func (s *Server) ClientURL() string {
	if s == nil {
		return ""
	}
	return s.url
}

// SyncAlways reports whether the server syncs every write to disk before
// acknowledging it; when false, SyncInterval is how often it syncs.
func (s *Server) SyncAlways() bool {
	return s != nil && s.ns != nil && s.ns.JetStreamConfig().SyncAlways
}

// SyncInterval is the background sync interval of a server that does not
// sync always, 0 for one that does.
func (s *Server) SyncInterval() time.Duration {
	if s.SyncAlways() || s == nil || s.ns == nil {
		return 0
	}
	return s.ns.JetStreamConfig().SyncInterval
}

// MonitorURL is http://host:port of the monitoring port, "" when the
// server has none (Config.MonitorListen).
func (s *Server) MonitorURL() string {
	if s == nil || s.ns == nil {
		return ""
	}
	a := s.ns.MonitorAddr()
	if a == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(clientHost(a.IP.String()), strconv.Itoa(a.Port))
}

// Shutdown stops the server and waits until it has stopped (its JetStream
// store flushed and closed) or ctx is done. It is safe to call twice, and on
// a nil *Server.
func (s *Server) Shutdown(ctx context.Context) error {
	if s == nil || s.ns == nil {
		return nil
	}
	s.once.Do(func() {
		go func() {
			s.ns.Shutdown()
			s.ns.WaitForShutdown()
			close(s.done)
		}()
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("natsembed: shutdown: %w", ctx.Err())
	}
}
