package deadletter

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// env is one test's server, streams, publisher and dead-letter writer.
type env struct {
	srv    *natstest.Server
	js     jetstream.JetStream
	cfg    publish.Config
	pub    *publish.Publisher
	dead   *Writer
	stream *Stream
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith applies mutate to the default config (with short retries)
// before it ensures the streams.
func newEnvWith(t *testing.T, mutate func(*publish.Config)) *env {
	t.Helper()
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	cfg := publish.DefaultConfig()
	cfg.RetryInitial, cfg.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	if err := publish.EnsureStreams(natstest.Context(t, 10*time.Second), js, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := NewWriter(pub, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, js: js, cfg: cfg, pub: pub, dead: dead, stream: NewStream(js, cfg)}
}

// list returns every dead letter, failing the test on an error.
func (e *env) list(t *testing.T, f Filter) []Letter {
	t.Helper()
	ls, err := e.stream.List(natstest.Context(t, 10*time.Second), f)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// seqs returns the sequences of letters.
func seqs(ls []Letter) []uint64 {
	out := make([]uint64, len(ls))
	for i, l := range ls {
		out[i] = l.Seq
	}
	return out
}
