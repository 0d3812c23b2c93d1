package idem

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// A bridge connected to a leaf node keeps its idempotency bucket in the
// hub's JetStream domain: its records must go behind the hub's API prefix,
// as the KV API sends them, or they reach the leaf's own JetStream, which
// has no such bucket. Batched or not, they are stored and found again.
func TestStoreHonoursJetStreamDomain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	startServer(t, &server.Options{ServerName: "hub", JetStreamDomain: "hub",
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort}})
	remote, err := url.Parse(fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort))
	if err != nil {
		t.Fatal(err)
	}
	leaf := startServer(t, &server.Options{ServerName: "leaf", JetStreamDomain: "leaf",
		LeafNode: server.LeafNodeOpts{Remotes: []*server.RemoteLeafOpts{{URLs: []*url.URL{remote}}}}})
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if leaf.NumLeafNodes() == 0 {
			return errors.New("the leaf node has not connected to the hub")
		}
		return nil
	})
	nc, err := nats.Connect(leaf.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.NewWithDomain(nc, "hub")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for _, noBatch := range []bool{false, true} {
		cfg := testConfig()
		cfg.NoBatch = noBatch
		s := openTestStore(t, js, cfg, testTuning())
		k := KeyFor("domain", strconv.FormatBool(noBatch))
		if err := s.Remember(ctx, k, recordOf(k)); err != nil {
			t.Fatalf("NoBatch %v: Remember: %v", noBatch, err)
		}
		expectFound(t, openTestStore(t, js, testConfig(), testTuning()), k)
	}
}

// startServer starts a nats-server with JetStream on a random client port
// and a store in a temporary directory, shut down at cleanup.
func startServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, t.TempDir(), true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatalf("nats-server %s not ready", opts.ServerName)
	}
	return ns
}

func TestPutPrefix(t *testing.T) {
	srv := natstest.Start(t)
	nc, _ := natstest.Connect(t, srv.URL())
	for _, tc := range []struct {
		name string
		js   func() (jetstream.JetStream, error)
		want string
	}{
		{"default", func() (jetstream.JetStream, error) { return jetstream.New(nc) }, "$KV.b."},
		{"default prefix spelled out", func() (jetstream.JetStream, error) { return jetstream.NewWithAPIPrefix(nc, "$JS.API") }, "$KV.b."},
		{"domain", func() (jetstream.JetStream, error) { return jetstream.NewWithDomain(nc, "leaf") }, "$JS.leaf.API.$KV.b."},
		{"imported prefix", func() (jetstream.JetStream, error) { return jetstream.NewWithAPIPrefix(nc, "js.hub") }, "js.hub.$KV.b."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, err := tc.js()
			if err != nil {
				t.Fatal(err)
			}
			if got := putPrefix(js, "b"); got != tc.want {
				t.Errorf("putPrefix = %q, want %q", got, tc.want)
			}
		})
	}
}
