package pipeline

import (
	"context"
	"testing"

	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// gatedStore is the real publisher, but the publish of one message (by its
// Nats-Msg-Id) waits at a gate until the test opens it: an acknowledgement
// that is slow to come, at a moment the test chooses. Every publish that
// reaches the store is reported on arrived, the held one included.
type gatedStore struct {
	*publish.Publisher
	hold    string
	held    chan struct{} // closed when the held publish has arrived
	open    chan struct{} // closed by the test to let it through
	arrived chan string   // the Nats-Msg-Id of every publish, as it arrives
}

func newGatedStore(pub *publish.Publisher, hold string) *gatedStore {
	return &gatedStore{Publisher: pub, hold: hold, held: make(chan struct{}), open: make(chan struct{}),
		arrived: make(chan string, 64)}
}

func (g *gatedStore) Publish(ctx context.Context, m publish.Message) (publish.Ack, error) {
	g.arrived <- m.MsgID
	if m.MsgID == g.hold {
		close(g.held)
		select {
		case <-g.open:
		case <-ctx.Done():
			return publish.Ack{}, ctx.Err()
		}
	}
	return g.Publisher.Publish(ctx, m)
}

// arrivals drains what has arrived so far.
func (g *gatedStore) arrivals() []string {
	var out []string
	for {
		select {
		case id := <-g.arrived:
			out = append(out, id)
		default:
			return out
		}
	}
}

// keyOf is the idempotency key (Nats-Msg-Id) of in's only event.
func keyOf(t *testing.T, m *transform.Mapping, in transform.Input) string {
	t.Helper()
	res := m.Apply(in)
	if res.Failure != nil || len(res.Events) != 1 {
		t.Fatalf("%s: %d events, failure %v; want one event", in.Body, len(res.Events), res.Failure)
	}
	return res.Events[0].IdempotencyKey.String()
}
