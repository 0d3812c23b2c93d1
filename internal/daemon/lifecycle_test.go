package daemon

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// A Start that fails at its last step (the public listener's address is
// taken) undoes every step before it: the admin listener, the NATS
// connection, the embedded server are all closed when it returns, and
// Shutdown after it is a no-op.
func TestStartFailingHalfWayUndoesItsSteps(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig(t)
	cfg.HTTP = taken.Addr().String()
	d, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = d.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), "public listener") {
		t.Fatalf("Start = %v, want the public listener's error", err)
	}
	if d.adminLn == nil || d.embedded == nil || d.nc == nil {
		t.Fatal("Start failed before the steps this test undoes")
	}
	for name, addr := range map[string]string{"admin listener": d.adminLn.Addr().String(),
		"embedded nats-server": strings.TrimPrefix(d.embedded.ClientURL(), "nats://")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections at %s", name, addr)
		}
	}
	if !d.nc.IsClosed() {
		t.Error("the NATS connection is still open")
	}
	if err := d.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after the failed Start: %v", err)
	}
}
