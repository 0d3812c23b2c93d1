package publish

import (
	"errors"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go"
)

func TestConnectBeforeServerIsUp(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop(t)

	nc, err := Connect([]string{srv.URL()}, "bridge-test", nil, nats.ReconnectWait(natstest.ReconnectWait))
	if err != nil {
		t.Fatalf("Connect with the server down: %v", err)
	}
	t.Cleanup(nc.Close)
	if nc.IsConnected() {
		t.Fatal("connected to a stopped server")
	}
	// Nothing is buffered while not connected.
	if err := nc.Publish("x", []byte("y")); !errors.Is(err, nats.ErrReconnectBufExceeded) {
		t.Errorf("Publish while connecting = %v, want ErrReconnectBufExceeded", err)
	}

	srv.Restart(t)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if !nc.IsConnected() {
			return errors.New("not connected yet")
		}
		return nil
	})
}

func TestConnectNoURL(t *testing.T) {
	if _, err := Connect(nil, "x", nil); err == nil {
		t.Error("Connect without URLs succeeded")
	}
}

func TestRedactURLs(t *testing.T) {
	got := redactURLs([]string{"nats://user:pass@h1:4222", "nats://h2:4222", "tok@h3"})
	if want := "nats://***@h1:4222,nats://h2:4222,***@h3"; got != want {
		t.Errorf("redactURLs = %q, want %q", got, want)
	}
}
