package ingest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/storetest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// shopMapping takes the shop's paid orders from NATS.
const shopMapping = `provider: shop
module: test
accepts: [nats]
rules:
  - name: paid
    when: payload.kind == "paid"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
    data:
      note: payload.note
`

// store is what the doors' tests deliver to: a real JetStream server with
// the bridge's streams, a publisher on it logging to log, and the mapping
// set of shopMapping.
type store struct {
	srv       *natstest.Server
	nc        *nats.Conn
	js        jetstream.JetStream
	pcfg      publish.Config
	publisher *publish.Publisher
	set       *transform.Set
}

func startStore(ctx context.Context, t *testing.T, log *slog.Logger) store {
	t.Helper()
	st := storetest.Start(t, storetest.Options{Logger: log})
	s := store{srv: st.Srv, nc: st.NC, js: st.JS, pcfg: st.Config, publisher: st.Publisher}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(shopMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.set, err = transform.Load(dir, transform.Options{}); err != nil {
		t.Fatal(err)
	}
	return s
}
