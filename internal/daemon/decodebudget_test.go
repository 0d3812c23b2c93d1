package daemon

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// A small body that decodes to a large tree (`[{},{},...]`: ~40 MB per
// megabyte) is charged per value to --max-inflight-bytes beside its bytes
// (up to what the budget leaves beside the largest body, so that it is
// served when alone): with half the budget held by another request, it
// does not fit, while an ordinary delivery still does.
func TestDecodedValuesAreCharged(t *testing.T) {
	const bodyLimit, budget, held = 1 << 20, 2 << 20, 800_000
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.BodyLimit, c.MaxInflightBytes = bodyLimit, budget })
	ct := map[string]string{"Content-Type": "application/json"}

	// Another request holds about 40% of the budget: 700 KB of a declared
	// 800 KB (under the body limit, which the bridge lowers to fit the
	// test server's max_payload), read into a buffer grown to that size.
	conn, err := net.Dial("tcp", b.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /webhooks/pix HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", held)
	if _, err := conn.Write([]byte(strings.Repeat(" ", 700_000))); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, func() error {
		if got := scrape(t, b)["bridge_body_inflight_bytes"]; got < held {
			return fmt.Errorf("in flight %v, want the held request's %d", got, held)
		}
		return nil
	})

	bomb := `{"pix":[` + strings.Repeat("{},", 100_000) + `{}]}` // 300 KB, 100,000 values
	r := post(t, b.base+"/webhooks/pix", []byte(bomb), ct)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.body["type"] != "urn:bridge:problem:over-budget" {
		t.Fatalf("a body of 100,000 values beside the held request: %d %s", r.status, r.raw)
	}
	if r := post(t, b.base+"/webhooks/pix", readExample(t, "pix/pix.single.json"), ct); r.status != http.StatusAccepted {
		t.Fatalf("an ordinary delivery beside it: %d %s", r.status, r.raw)
	}
	conn.Close()
	checkFor(t, 10*time.Second, func() error {
		if got := scrape(t, b)["bridge_body_inflight_bytes"]; got != 0 {
			return fmt.Errorf("in flight %v after the requests, want 0", got)
		}
		return nil
	})
	// Alone, the same body is served: its charge is capped at what the
	// budget leaves beside the largest body.
	if r := post(t, b.base+"/webhooks/pix", []byte(bomb), ct); r.status == http.StatusServiceUnavailable {
		t.Fatalf("the same body alone: %d %s", r.status, r.raw)
	}
}
