package replay

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
)

// newDeniedEnv returns two envs on one JetStream server: admin, whose user
// may do anything (to write dead letters and read the outcome), and
// replayer, whose user may not publish to the deny subjects: a replay run
// through it finds that step refused by the server, for real.
func newDeniedEnv(t *testing.T, deny ...string) (admin, replayer *env) {
	t.Helper()
	url := natstest.Run(t, &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, Users: []*server.User{
			{Username: "admin", Password: "admin"},
			{Username: "replayer", Password: "replayer",
				Permissions: &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: deny}}},
		}})
	cfg := publish.DefaultConfig()
	cfg.RetryInitial, cfg.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	var envs []*env
	for i, user := range []string{"admin", "replayer"} {
		_, js := natstest.Connect(t, url, nats.UserInfo(user, user), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		ctx := natstest.Context(t, 10*time.Second)
		if i == 0 {
			if err := publish.EnsureStreams(ctx, js, cfg); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := publish.New(js, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		store, err := idem.OpenStore(ctx, js, idem.StoreConfig{Bucket: idem.DefaultBucket, Replicas: 1, Horizon: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		dead, err := deadletter.NewWriter(pub, cfg)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, &env{js: js, cfg: cfg, pub: pub, dead: dead, stream: deadletter.NewStream(js, cfg),
			pipe: pipeline.New(pub, pipeline.Options{Dedupe: store, DeadLetters: dead}),
			v1:   loadSet(t, "testdata/v1"), v2: loadSet(t, "testdata/v2")})
	}
	return envs[0], envs[1]
}

// TestReplayStopsWhenItCannotDelete: a dead letter whose outcome is
// stored (its events published, or its rewrite under a new reason) but
// which cannot be deleted is left where it is, the replay stops and says
// so; a later replay finds its outcome already stored and deletes it.
func TestReplayStopsWhenItCannotDelete(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		outcome Outcome
		error   string
		again   Outcome // the later replay's outcome of that dead letter
	}{
		{"published", customerCreated, Published, "stored, but the dead letter is not deleted", Duplicate},
		{"rewritten", invoicePaid, Rewritten, "but the old dead letter is not deleted", Rewritten},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			admin, denied := newDeniedEnv(t, "$JS.API.STREAM.MSG.DELETE."+publish.DefaultConfig().DLQStream)
			admin.deliver(t, admin.v1, tc.body) // seq 1, no_rule
			admin.deliver(t, admin.v1, ping)    // seq 2, after it: not reached
			r := denied.replayer(denied.v2)
			r.Timeout = time.Second
			rep, err := r.Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
			if err == nil || !IsUnavailable(err) || rep.Error == "" || rep.Done() {
				t.Fatalf("Replay error = %v, report %s; want an unavailable JetStream and a stop", err, rep.Summary())
			}
			if got := outcomes(rep); !slices.Equal(got, []Outcome{tc.outcome}) || !strings.Contains(rep.Results[0].Error, tc.error) {
				t.Fatalf("results = %+v; want only [%s] saying %q", rep.Results, tc.outcome, tc.error)
			}
			before := admin.list(t, deadletter.Filter{})
			if len(before) < 2 || before[0].Seq != 1 || before[1].Seq != 2 {
				t.Fatalf("dead letters at %v, want 1 and 2 still there", seqs(before))
			}

			rep, err = admin.replayer(admin.v2).Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(rep); len(got) < 2 || got[0] != tc.again || got[1] != Dropped {
				t.Fatalf("later replay = %v, want [%s dropped ...]", got, tc.again)
			}
			want := 0
			if tc.outcome == Published {
				want = 1
			}
			if n := len(admin.events(t)); n != want {
				t.Errorf("%d events stored, want %d", n, want)
			}
			for _, l := range admin.list(t, deadletter.Filter{}) {
				if l.Seq == 1 {
					t.Errorf("dead letter 1 is still there after the later replay")
				}
				if l.Reason == "eval_error" && l.Seq != rep.Results[0].NewSeq {
					t.Errorf("a second rewrite at %d (the first at %d)", l.Seq, rep.Results[0].NewSeq)
				}
			}
		})
	}
}

// TestReplayStopsWhenTheRewriteIsNotStored: a dead letter that fails for a
// new reason is written again under it before the old one is deleted;
// when that write is refused, the replay stops and the old one stays.
func TestReplayStopsWhenTheRewriteIsNotStored(t *testing.T) {
	admin, denied := newDeniedEnv(t, "dlq.shop.eval_error")
	admin.deliver(t, admin.v1, invoicePaid) // seq 1, no_rule; eval_error with v2
	r := denied.replayer(denied.v2)
	r.Timeout = time.Second
	rep, err := r.Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
	if err == nil || !IsUnavailable(err) {
		t.Fatalf("Replay error = %v, want an unavailable JetStream", err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Failed}) || rep.Results[0].NewReason != "eval_error" || rep.Done() {
		t.Fatalf("results = %+v, want one failure to rewrite as eval_error", rep.Results)
	}
	if got := admin.list(t, deadletter.Filter{}); len(got) != 1 || got[0].Seq != 1 || got[0].Reason != "no_rule" {
		t.Fatalf("dead letters = %+v, want the original alone", got)
	}
}

// TestReplayKeepsWhenItsRewriteIsGone: a rewrite that JetStream answers as
// a duplicate (an earlier replay wrote it) but that is no longer stored
// (deleted since) is no reason to delete the original: it is kept.
func TestReplayKeepsWhenItsRewriteIsGone(t *testing.T) {
	e := newEnv(t)
	v := e.deliver(t, e.v1, invoicePaid) // seq 1
	ack, err := e.dead.Store(natstest.Context(t, 5*time.Second), v.IdempotencyKey, deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonEvalError,
		Ingest: "webhook", Body: []byte(invoicePaid)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.stream.Delete(natstest.Context(t, 5*time.Second), ack.Sequence); err != nil { // the rewrite, gone
		t.Fatal(err)
	}
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Kept}) || !strings.Contains(rep.Results[0].Error, "is gone") {
		t.Fatalf("results = %+v, want [kept] saying the rewrite is gone", rep.Results)
	}
	if got := seqs(e.list(t, deadletter.Filter{})); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("dead letters at %v, want [1]", got)
	}
}

// stopAfterDeadLetter is the real dead-letter store, but JetStream stops
// right after the first dead letter it writes.
type stopAfterDeadLetter struct {
	Writer
	once sync.Once
	stop func()
}

func (s *stopAfterDeadLetter) Store(ctx context.Context, key string, l deadletter.Letter) (publish.Ack, error) {
	ack, err := s.Writer.Store(ctx, key, l)
	s.once.Do(s.stop)
	return ack, err
}

// TestReplayStopsWhenItCannotCheckTheRewrite: a rewrite answered as a
// duplicate is checked before the original is deleted; when JetStream
// cannot answer that check, the replay stops and nothing is deleted.
func TestReplayStopsWhenItCannotCheckTheRewrite(t *testing.T) {
	e := newEnv(t)
	v := e.deliver(t, e.v1, invoicePaid) // seq 1
	if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), v.IdempotencyKey, deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonEvalError,
		Ingest: "webhook", Body: []byte(invoicePaid)}); err != nil {
		t.Fatal(err)
	}
	r := e.replayer(e.v2)
	r.DeadLetters = &stopAfterDeadLetter{Writer: e.dead, stop: func() { e.srv.Stop(t) }}
	r.Timeout = time.Second
	rep, err := r.Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{Reason: "no_rule"}, false)
	if err == nil || !IsUnavailable(err) {
		t.Fatalf("Replay error = %v, want an unavailable JetStream", err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Failed}) || rep.Done() {
		t.Fatalf("results = %+v, want one failure", rep.Results)
	}

	e.srv.Restart(t)
	var ls []deadletter.Letter
	natstest.CheckFor(t, 10*time.Second, 25*time.Millisecond, func() error {
		ls, err = e.stream.List(context.Background(), deadletter.Filter{})
		return err
	})
	if got := seqs(ls); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("dead letters after the outage at %v, want [1 2]", got)
	}
}
