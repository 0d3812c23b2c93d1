package publish

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// A request made while not connected gives up saying "not connected", not
// nats.go's "outbound buffer limit exceeded" (natsconn.Connect buffers
// nothing while disconnected).
func TestGiveUpNotConnected(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop(t)
	nc, err := natsconn.Connect([]string{srv.URL()}, "bridge-test", nil, nats.ReconnectWait(natstest.ReconnectWait))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	err = giveUp(context.Background(), "publish", 1, nc.Publish("x", []byte("y")))
	if !errors.Is(err, nats.ErrReconnectBufExceeded) || !strings.Contains(err.Error(), "not connected to NATS") || strings.Contains(err.Error(), "outbound buffer") {
		t.Fatalf("giving up while not connected: %v", err)
	}
}
