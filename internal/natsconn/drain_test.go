package natsconn

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// Drain lets a subscription finish the message it holds, returns once the
// connection is closed, keeps Connect's closed handler (its log line), and
// is a no-op on a connection already closed.
func TestDrain(t *testing.T) {
	srv := natstest.Start(t)
	var logs natstest.Buffer
	nc, err := Connect([]string{srv.URL()}, "bridge-test", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !nc.IsConnected() {
			return nats.ErrNoServers
		}
		return nil
	})
	handled := make(chan struct{})
	release := make(chan struct{})
	if _, err := nc.Subscribe("drain.test", func(*nats.Msg) {
		close(handled)
		<-release
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("drain.test", []byte("x")); err != nil {
		t.Fatal(err)
	}
	<-handled
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- Drain(ctx, nc) }()
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a message was being handled", err)
	default:
	}
	close(release)
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if !nc.IsClosed() || ctx.Err() != nil {
		t.Fatalf("after Drain: closed %v, ctx %v", nc.IsClosed(), ctx.Err())
	}
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), "nats connection closed") {
			return errors.New(`no "nats connection closed" log line`)
		}
		return nil
	})
	if err := Drain(ctx, nc); err != nil {
		t.Fatalf("Drain of a closed connection: %v", err)
	}
}

// Drain gives up when ctx ends, and closes the connection all the same.
func TestDrainCtxEnds(t *testing.T) {
	srv := natstest.Start(t)
	nc, err := Connect([]string{srv.URL()}, "bridge-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	release := make(chan struct{})
	defer close(release)
	handled := make(chan struct{})
	if _, err := nc.Subscribe("drain.stuck", func(*nats.Msg) { close(handled); <-release }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("drain.stuck", nil); err != nil {
		t.Fatal(err)
	}
	<-handled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Drain(ctx, nc); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if !nc.IsClosed() {
		t.Fatal("not closed after Drain gave up")
	}
}
