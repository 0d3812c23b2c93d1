package daemon

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// A small body that decodes to a large tree (`[{},{},...]`: ~40 MB per
// megabyte) is charged per value to --max-inflight-bytes, so a handful of
// them cannot take the memory that many ordinary deliveries would share.
func TestDecodedValuesAreCharged(t *testing.T) {
	const budget = 2 << 20
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.BodyLimit, c.MaxInflightBytes = 1<<20, budget })
	ct := map[string]string{"Content-Type": "application/json"}
	bomb := `{"pix":[` + strings.Repeat("{},", 100_000) + `{}]}` // 300 KB, 100,000 values: 25 MB charged
	r := post(t, b.base+"/webhooks/pix", []byte(bomb), ct)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.body["type"] != "urn:bridge:problem:over-budget" {
		t.Fatalf("a body of 100,000 values within a 2 MiB budget: %d %s", r.status, r.raw)
	}
	if r := post(t, b.base+"/webhooks/pix", readExample(t, "pix/pix.single.json"), ct); r.status != http.StatusAccepted {
		t.Fatalf("an ordinary delivery beside it: %d %s", r.status, r.raw)
	}
	checkFor(t, 10*time.Second, func() error {
		if got := scrape(t, b)["bridge_body_inflight_bytes"]; got != 0 {
			return fmt.Errorf("in flight %v after the requests, want 0", got)
		}
		return nil
	})
}
