// Package natstest gives tests a real nats-server with JetStream: started
// through natsembed on 127.0.0.1 with a random port and a t.TempDir() store,
// stopped and restarted on the same port and store to make faults for real.
//
// Only tests import it. It owns no streams: tests create what they need.
package natstest

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natsembed"
)

const (
	// startTimeout bounds one start of the server.
	startTimeout = 10 * time.Second
	// rebindFor is how long Restart keeps trying to get its port back.
	rebindFor = 5 * time.Second
)

// Server is an embedded nats-server owned by one test.
type Server struct {
	listen   string // 127.0.0.1:<port>, fixed after the first start
	storeDir string
	url      string

	mu  sync.Mutex
	srv *natsembed.Server // nil while stopped
}

// Start starts a server on 127.0.0.1 with a random port and a store in
// t.TempDir(); t.Cleanup shuts it down.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{listen: "127.0.0.1:-1", storeDir: t.TempDir()}
	srv, err := s.start()
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatalf("natstest: client URL: %v", err)
	}
	s.listen, s.url, s.srv = u.Host, srv.ClientURL(), srv
	t.Cleanup(func() { s.shutdown(t) })
	return s
}

func (s *Server) start() (*natsembed.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return natsembed.Start(ctx, natsembed.Config{
		Listen:   s.listen,
		StoreDir: s.storeDir,
		Name:     "natstest",
	})
}

// URL returns the client URL, nats://127.0.0.1:<port>; it stays the same
// across Stop and Restart.
func (s *Server) URL() string { return s.url }

// Stop shuts the server down, as if JetStream went away. The port and the
// store directory are kept for Restart. Stopping a stopped server is a no-op.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.shutdown(t)
}

func (s *Server) shutdown(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatalf("natstest: %v", err)
	}
	s.srv = nil
}

// Restart starts the server again on the same port and store directory, so
// connected clients reconnect and stored messages are still there. It
// retries for a few seconds while the OS has not released the port.
// Restarting a running server stops it first.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.shutdown(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := time.Now().Add(rebindFor)
	for {
		srv, err := s.start()
		if err == nil {
			s.srv = srv
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatalf("natstest: restart on %s: %v", s.listen, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Addr returns the listen address host:port.
func (s *Server) Addr() string { return s.listen }
