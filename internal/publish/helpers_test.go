package publish

import (
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// env is one test's server, connection and publisher.
type env struct {
	srv *natstest.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg Config
	pub *Publisher
}

// newEnv starts a server, connects, applies mutate to the default config
// (with short retries), ensures the streams and builds a Publisher.
func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	srv := natstest.Start(t)
	nc, js := natstest.Connect(t, srv.URL())
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	if err := EnsureStreams(natstest.Context(t, 10*time.Second), js, cfg); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	pub, err := New(js, cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{srv: srv, nc: nc, js: js, cfg: cfg, pub: pub}
}

// testConfig is DefaultConfig with retries short enough for tests.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.RetryInitial = 10 * time.Millisecond
	cfg.RetryMax = 50 * time.Millisecond
	return cfg
}

func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	natstest.CheckFor(t, total, every, f)
}

// streamMsgs returns how many messages stream holds.
func streamMsgs(t testing.TB, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(natstest.Context(t, 5*time.Second), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	return s.CachedInfo().State.Msgs
}

// storedMsg returns the message at seq of stream.
func storedMsg(t testing.TB, js jetstream.JetStream, stream string, seq uint64) *jetstream.RawStreamMsg {
	t.Helper()
	ctx := natstest.Context(t, 5*time.Second)
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		t.Fatalf("message %d of %s: %v", seq, stream, err)
	}
	return m
}

// event returns a Message as the pipeline builds it.
func event(subject, msgID, ceID string, data []byte) Message {
	return Message{
		Subject: subject,
		MsgID:   msgID,
		Header: nats.Header{
			HeaderCEID:        {ceID},
			HeaderCEType:      {subject},
			HeaderCESource:    {"https://example.com/test"},
			HeaderContentType: {ContentTypeCloudEvents},
		},
		Data: data,
	}
}
