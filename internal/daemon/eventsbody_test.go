package daemon

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// slowEnvelope opens a POST to /events/ that declares declared bytes and
// sends one.
func slowEnvelope(t *testing.T, addr string, declared int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "POST /events/ HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", declared); err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestEventsBodyBudget: envelopes share the webhooks' budget of body bytes
// in memory: slow envelopes are charged what their buffers hold, and one
// that does not fit is answered 503 with Retry-After before it is read.
func TestEventsBodyBudget(t *testing.T) {
	const limit = 3*ingest.BodyPresize + ingest.BodyPresize/2 // three first buffers, and not a fourth
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.BodyLimit, c.MaxInflightBytes = limit, limit })
	inFlight := func() float64 { return scrape(t, b)["bridge_body_inflight_bytes"] }

	var slow []net.Conn
	for range 3 {
		slow = append(slow, slowEnvelope(t, b.HTTPAddr(), 10<<10))
	}
	checkFor(t, 10*time.Second, func() error {
		if got := inFlight(); got != 3*ingest.BodyPresize {
			return fmt.Errorf("in flight %v, want %v", got, 3*ingest.BodyPresize)
		}
		return nil
	})
	conn := slowEnvelope(t, b.HTTPAddr(), 10<<10)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	answer := string(buf[:n])
	if !strings.HasPrefix(answer, "HTTP/1.1 503") || !strings.Contains(answer, "Retry-After: 1") {
		t.Fatalf("an envelope over the budget:\n%s", answer)
	}
	for _, c := range slow {
		c.Close()
	}
	checkFor(t, 10*time.Second, func() error {
		if got := inFlight(); got != 0 {
			return fmt.Errorf("in flight %v after the clients left, want 0", got)
		}
		return nil
	})
	// With room again, an envelope is read and answered by the protocol.
	r := post(t, b.base+"/events/", []byte(`{"name":"x:y:z","version":1,"id":"s","flowId":"f","payload":{}}`),
		map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusOK {
		t.Fatalf("an envelope with room left: %d %s", r.status, r.raw)
	}
}
