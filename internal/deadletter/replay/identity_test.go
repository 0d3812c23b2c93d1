package replay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
)

// TestEveryWriterUsesOneIdentity: the pipeline, the NATS ingestor and
// replay write dead letters through deadletter.Writer, so each one's
// Nats-Msg-Id is deadletter.ID of its delivery key, reason and body, and
// the same body for the same reason under the same key, from any of them,
// is one dead letter.
func TestEveryWriterUsesOneIdentity(t *testing.T) {
	e := newEnv(t)

	// The pipeline: the delivery's idempotency key.
	v := e.deliver(t, e.v1, invoicePaid)
	if v.Outcome != pipeline.DeadLettered {
		t.Fatalf("verdict %v, want dead-lettered", v.Outcome)
	}
	byPipeline := deadletter.ID(v.IdempotencyKey, deadletter.ReasonNoRule, []byte(invoicePaid))
	if ls := e.list(t, deadletter.Filter{}); len(ls) != 1 || ls[0].MsgID != byPipeline {
		t.Fatalf("the pipeline's dead letters %+v, want one with the identity %s", ls, byPipeline)
	}

	// Replay: the rewrite keeps the delivery key, with the new reason.
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil || len(rep.Results) != 1 || rep.Results[0].Outcome != Rewritten {
		t.Fatalf("replay = %+v, %v; want one rewrite", rep.Results, err)
	}
	byReplay := deadletter.ID(v.IdempotencyKey, deadletter.ReasonEvalError, []byte(invoicePaid))

	// The NATS ingestor: "nats:<subject>" for a payload that never reached
	// a rule.
	nc, js := natstest.Connect(t, e.srv.URL())
	cfg := ingest.DefaultNATSConfig()
	cfg.Timeout, cfg.AckWait = 2*time.Second, 5*time.Second
	if err := publish.EnsureStream(natstest.Context(t, 10*time.Second), js, e.cfg, cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	n, err := ingest.NewNATS(js, nc, func() ingest.Mappings { return e.v2 }, e.pipe, e.dead, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(natstest.Context(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Shutdown(natstest.Context(t, 10*time.Second)); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	notJSON := []byte("<xml/>")
	if _, err := js.Publish(natstest.Context(t, 5*time.Second), "ingest.shop", notJSON); err != nil {
		t.Fatal(err)
	}
	byNATS := deadletter.ID("nats:ingest.shop", deadletter.ReasonNotJSON, notJSON)

	natstest.CheckFor(t, 10*time.Second, 25*time.Millisecond, func() error {
		if got := len(e.list(t, deadletter.Filter{})); got != 2 {
			return fmt.Errorf("%d dead letters, want 2", got)
		}
		return nil
	})
	ids := map[string]bool{}
	for _, l := range e.list(t, deadletter.Filter{}) {
		ids[l.MsgID] = true
	}
	for name, id := range map[string]string{"replay": byReplay, "nats ingest": byNATS} {
		if !ids[id] {
			t.Errorf("no dead letter with the %s identity %s: %v", name, id, ids)
		}
	}
	if ids[byPipeline] {
		t.Errorf("the pipeline's dead letter %s is still there after its rewrite", byPipeline)
	}

	// Written again by any writer under the same key, reason and body: a
	// duplicate of what is stored.
	for _, w := range []struct {
		key string
		l   deadletter.Letter
	}{
		{v.IdempotencyKey, deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonEvalError, Ingest: "webhook", Body: []byte(invoicePaid)}},
		{"nats:ingest.shop", deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonNotJSON, Ingest: "nats", Body: notJSON}},
	} {
		ack, err := e.dead.Store(context.Background(), w.key, w.l)
		if err != nil || !ack.Duplicate {
			t.Errorf("Write(%s, %s) = %+v, %v; want a duplicate", w.key, w.l.Reason, ack, err)
		}
	}
	// And the pipeline's own identity, were it written again, is the same.
	if again := e.deliver(t, e.v1, invoicePaid); !again.DeadLetterDuplicate {
		t.Errorf("the pipeline's delivery again: %+v, want no second dead letter", again)
	}
}
