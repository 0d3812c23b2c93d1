package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// slowBody opens a connection to the public listener and sends a webhook
// that declares a body of declared bytes, then only its first byte. The
// connection is closed at the end of the test.
func slowBody(t *testing.T, addr, provider string, declared int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /webhooks/%s HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", provider, declared)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestBodyBudget: bodies in memory are charged what their buffers hold,
// not what they declare; a delivery that does not fit in
// --max-inflight-bytes is answered 503 with Retry-After before its body
// is read; the charge goes back when a request ends, however it ends.
func TestBodyBudget(t *testing.T) {
	const limit = 3*ingest.BodyPresize + ingest.BodyPresize/2 // three first buffers, and not a fourth
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.BodyLimit, c.MaxInflightBytes = limit, limit })
	inFlight := func() float64 { return scrape(t, b)["bridge_body_inflight_bytes"] }

	// Three slow bodies declaring 10 KiB each hold BodyPresize each, not 30 KiB.
	var slow []net.Conn
	for range 3 {
		slow = append(slow, slowBody(t, b.HTTPAddr(), "stripe", 10<<10))
	}
	checkFor(t, 10*time.Second, func() error {
		if got := inFlight(); got != 3*ingest.BodyPresize {
			return fmt.Errorf("in flight %v, want %v", got, 3*ingest.BodyPresize)
		}
		return nil
	})
	// A fourth does not fit: 503 at once, whatever it sends.
	conn := slowBody(t, b.HTTPAddr(), "stripe", 10<<10)
	r := readAnswer(t, conn)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" ||
		r.header.Get("Content-Type") != "application/problem+json" || r.body["type"] != "urn:bridge:problem:over-budget" {
		t.Fatalf("over the budget: %d %v %s", r.status, r.header, r.raw)
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
	// With the room back, a delivery goes through.
	if r := postStripe(t, b, "charge.succeeded.json"); r.status != http.StatusAccepted {
		t.Fatalf("a delivery once the slow bodies are gone: %d %s", r.status, r.raw)
	}
	wantMetrics(t, scrape(t, b), map[string]float64{
		`bridge_rejections_total{ingest="webhook",provider="stripe",reason="over_budget"}`: 1,
	})
}

// readAnswer reads one HTTP answer from conn.
func readAnswer(t *testing.T, conn net.Conn) reply {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", resp.StatusCode, err, raw)
	}
	return r
}
