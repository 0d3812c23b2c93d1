package deadletter

import (
	"context"
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
	if err := publish.EnsureStreams(ctxFor(t, 10*time.Second), js, cfg); err != nil {
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
	ls, err := e.stream.List(ctxFor(t, 10*time.Second), f)
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

// state returns a stream's state.
func state(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamState {
	t.Helper()
	ctx := ctxFor(t, 5*time.Second)
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State
}

// ctxFor returns a context cancelled after d or at the end of the test.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
