package replay

import (
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/storetest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// env is one test's server, streams, publisher, pipeline and the two
// versions of the test mapping set: v1 (testdata/v1, charges only) as it was
// when the dead letters were written, v2 (testdata/v2) as it is at replay.
type env struct {
	srv    *natstest.Server
	js     jetstream.JetStream
	cfg    publish.Config
	pub    *publish.Publisher
	dead   *deadletter.Writer
	pipe   *pipeline.Runner
	stream *deadletter.Stream
	v1, v2 *transform.Set
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.Start(t, storetest.Options{Edit: func(c *publish.Config) {
		c.RetryInitial, c.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	}})
	return &env{srv: st.Srv, js: st.JS, cfg: st.Config, pub: st.Publisher, dead: st.Dead, stream: deadletter.NewStream(st.JS, st.Config),
		pipe: pipeline.New(st.Publisher, pipeline.Options{Dedupe: st.Idem, DeadLetters: st.Dead}),
		v1:   loadSet(t, "testdata/v1"), v2: loadSet(t, "testdata/v2")}
}

func loadSet(t *testing.T, dir string) *transform.Set {
	t.Helper()
	set, err := transform.Load(dir, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// deliver hands body to the pipeline as a webhook delivery of provider
// shop mapped by set, the way the webhook ingestor does.
func (e *env) deliver(t *testing.T, set *transform.Set, body string) pipeline.Verdict {
	t.Helper()
	m, _ := set.Mapping("shop")
	payload, err := jsonx.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1", "req-2"}, "Authorization": {"Bearer secret"}}
	v := e.pipe.Handle(natstest.Context(t, 10*time.Second), m, transform.Input{Provider: "shop", Ingest: transform.IngestWebhook,
		Body: []byte(body), Payload: payload, Header: h, ReceivedAt: time.Now()})
	if v.Outcome == pipeline.Failed {
		t.Fatalf("deliver: %v", v.Err)
	}
	return v
}

func (e *env) replayer(set Mappings) *Replayer {
	return &Replayer{Stream: e.stream, Mappings: set, Pipeline: e.pipe, DeadLetters: e.dead, Timeout: 5 * time.Second}
}

// list returns every dead letter, failing the test on an error.
func (e *env) list(t *testing.T, f deadletter.Filter) []deadletter.Letter {
	t.Helper()
	ls, err := e.stream.List(natstest.Context(t, 10*time.Second), f)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// seqs returns the sequences of letters.
func seqs(ls []deadletter.Letter) []uint64 {
	out := make([]uint64, len(ls))
	for i, l := range ls {
		out[i] = l.Seq
	}
	return out
}
