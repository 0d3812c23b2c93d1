package replay

import (
	"net/http"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/transform"
)

// A dead letter of a backfill (an item of a provider's list API, as JSON)
// is replayed as the item it was.
func TestBackfillLetterDecodes(t *testing.T) {
	e := newEnv(t)
	m, _ := e.v1.Mapping("shop")
	l := deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonNoRule, Ingest: transform.IngestBackfill, ReceivedAt: time.Now(),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"evt_9","type":"refund.created"}`)}
	in, err := Input(l, m)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := in.Payload.(map[string]any); !ok || p["id"] != "evt_9" || in.Ingest != transform.IngestBackfill {
		t.Errorf("input %+v", in)
	}
}
