package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/transform"
)

const (
	customerCreated = `{"id": "evt_c1", "type": "customer.created", "data": {"object": {"id": "cus_1", "name": "Ana", "email": "ana@example.com"}}}`
	refundCreated   = `{"id": "evt_r1", "type": "refund.created", "data": {"object": {"id": "re_1"}}}`
	invoicePaid     = `{"id": "evt_i1", "type": "invoice.paid", "data": {"object": {"id": "in_1", "total": "abc"}}}`
	ping            = `{"id": "evt_p1", "type": "ping"}`
)

// events returns the CloudEvents stored in the events stream.
func (e *env) events(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range natstest.StreamMessages(t, e.js, e.cfg.Stream) {
		out = append(out, m.Data)
	}
	return out
}

func outcomes(rep Report) []Outcome {
	var out []Outcome
	for _, r := range rep.Results {
		out = append(out, r.Outcome)
	}
	return out
}

// TestReplayPublishesOnceTheRuleExists: a delivery no rule mapped is
// published once the mapping gains the rule, and its dead letter is gone;
// the same payload dead-lettered again is a duplicate, never stored twice.
func TestReplayPublishesOnceTheRuleExists(t *testing.T) {
	e := newEnv(t)
	if v := e.deliver(t, e.v1, customerCreated); v.Outcome != pipeline.DeadLettered || v.Reason != string(deadletter.ReasonNoRule) {
		t.Fatalf("delivery with v1 = %v %s, want dead-lettered no_rule", v.Outcome, v.Reason)
	}
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Published}) || !rep.Done() {
		t.Fatalf("outcomes = %v (%s), want [published]", got, rep.Summary())
	}
	r := rep.Results[0]
	if r.Seq != 1 || r.Reason != "no_rule" || r.Rule != "customer.created" || len(r.Events) != 1 ||
		r.Events[0].Type != "event.shop.test.customer.created" || r.Events[0].ID == "" {
		t.Errorf("result = %+v", r)
	}
	stored := e.events(t)
	if len(stored) != 1 {
		t.Fatalf("%d events stored, want 1", len(stored))
	}
	if err := transform.ValidateProfile(stored[0]); err != nil {
		t.Errorf("stored event breaks the profile: %v\n%s", err, stored[0])
	}
	var ev map[string]any
	_ = json.Unmarshal(stored[0], &ev)
	if ev["id"] != r.Events[0].ID {
		t.Errorf("stored event id %v, reported %s", ev["id"], r.Events[0].ID)
	}
	if st := natstest.StreamInfoState(t, e.js, e.cfg.DLQStream); st.Msgs != 0 {
		t.Errorf("%d dead letters left, want 0", st.Msgs)
	}

	// The same delivery dead-lettered again (e.g. by a bridge still on the
	// old mappings), then replayed: a duplicate, deleted, stored once.
	if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", deadletter.Letter{Provider: "shop", Reason: "no_rule",
		Ingest: "webhook", Body: []byte(customerCreated)}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Duplicate}) || !rep.Done() {
		t.Fatalf("second replay = %v, want [duplicate]", got)
	}
	if rep.Results[0].Events[0].ID != r.Events[0].ID {
		t.Errorf("duplicate answered %s, want the original %s", rep.Results[0].Events[0].ID, r.Events[0].ID)
	}
	if n := len(e.events(t)); n != 1 {
		t.Errorf("%d events stored after the second replay, want 1", n)
	}
	if st := natstest.StreamInfoState(t, e.js, e.cfg.DLQStream); st.Msgs != 0 {
		t.Errorf("%d dead letters left, want 0", st.Msgs)
	}
}

// TestReplayOutcomes replays one dead letter of each kind at once.
func TestReplayOutcomes(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{refundCreated, invoicePaid, ping, customerCreated} {
		e.deliver(t, e.v1, body) // seqs 1..4, all no_rule
	}
	if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", deadletter.Letter{Provider: "gone", Reason: "no_rule",
		Ingest: "webhook", Body: []byte(`{}`)}); err != nil { // seq 5
		t.Fatal(err)
	}
	before := e.list(t, deadletter.Filter{})

	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{Kept, Rewritten, Dropped, Published, NoMapping}
	if got := outcomes(rep); !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
	if rep.Done() {
		t.Error("Done with dead letters left")
	}
	if rep.Counts[Kept] != 1 || rep.Counts[Rewritten] != 1 || rep.Counts[Published] != 1 {
		t.Errorf("counts = %v", rep.Counts)
	}
	kept, rewritten := rep.Results[0], rep.Results[1]
	if kept.NewReason != "no_rule" || kept.Error == "" {
		t.Errorf("kept = %+v", kept)
	}
	if rewritten.NewReason != "eval_error" || rewritten.Rule != "invoice.paid" || rewritten.NewSeq == 0 {
		t.Errorf("rewritten = %+v", rewritten)
	}

	after := e.list(t, deadletter.Filter{})
	// The unchanged one is untouched at the same sequence, the rewrite is
	// new, the one without a mapping stays; the others are gone.
	if got := seqs(after); !slices.Equal(got, []uint64{1, 5, rewritten.NewSeq}) {
		t.Fatalf("dead letters after replay at %v, want [1 5 %d]", got, rewritten.NewSeq)
	}
	if after[0].Subject != before[0].Subject || !bytes.Equal(after[0].Body, before[0].Body) {
		t.Errorf("the kept dead letter changed: %+v", after[0])
	}
	nl, old := after[2], before[1]
	if nl.Subject != "dlq.shop.eval_error" || nl.Reason != "eval_error" || nl.Rule != "invoice.paid" ||
		nl.File != "testdata/v2/shop.yaml" || nl.Ingest != "webhook" {
		t.Errorf("rewrite = %+v", nl)
	}
	if !bytes.Equal(nl.Body, old.Body) || !nl.ReceivedAt.Equal(old.ReceivedAt) || !maps.EqualFunc(nl.Header, old.Header, slices.Equal) {
		t.Errorf("rewrite lost the original: body %q vs %q, received %v vs %v, headers %v vs %v",
			nl.Body, old.Body, nl.ReceivedAt, old.ReceivedAt, nl.Header, old.Header)
	}
	if len(e.events(t)) != 1 {
		t.Errorf("want 1 event stored (the customer)")
	}

	// Replayed again: the rewrite now fails for the same reason and stays.
	rep, err = e.replayer(e.v2).Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Kept, NoMapping, Kept}) {
		t.Errorf("second replay = %v, want [kept no_mapping kept]", got)
	}
	if got := seqs(e.list(t, deadletter.Filter{})); !slices.Equal(got, []uint64{1, 5, rewritten.NewSeq}) {
		t.Errorf("dead letters after the second replay at %v", got)
	}
}

// TestReplayRewriteIsStoredOnce: a replay that stored the rewrite but
// stopped before deleting the original (its rewrite is already there) stores
// no second copy and deletes the original.
func TestReplayRewriteIsStoredOnce(t *testing.T) {
	e := newEnv(t)
	v := e.deliver(t, e.v1, invoicePaid)
	// What the interrupted replay wrote: seq 2.
	if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), v.IdempotencyKey, deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonEvalError,
		Ingest: "webhook", Body: []byte(invoicePaid)}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{Reason: "no_rule"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Rewritten}) || rep.Results[0].NewSeq != 2 {
		t.Fatalf("replay = %+v, want rewritten as seq 2", rep.Results)
	}
	if got := seqs(e.list(t, deadletter.Filter{})); !slices.Equal(got, []uint64{2}) {
		t.Errorf("dead letters at %v, want [2]", got)
	}
}

func TestReplayDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{refundCreated, invoicePaid, ping, customerCreated} {
		e.deliver(t, e.v1, body)
	}
	before := natstest.StreamInfoState(t, e.js, e.cfg.DLQStream)
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(rep), []Outcome{Kept, Rewritten, Dropped, Published}; !slices.Equal(got, want) {
		t.Fatalf("dry run = %v, want %v", got, want)
	}
	if !rep.DryRun || rep.Results[1].NewReason != "eval_error" || rep.Results[3].Events[0].Type != "event.shop.test.customer.created" {
		t.Errorf("dry run report = %+v", rep)
	}
	after := natstest.StreamInfoState(t, e.js, e.cfg.DLQStream)
	if after.Msgs != before.Msgs || after.LastSeq != before.LastSeq || after.FirstSeq != before.FirstSeq {
		t.Errorf("dead-letter stream changed: %+v -> %+v", before, after)
	}
	if n := len(e.events(t)); n != 0 {
		t.Errorf("%d events stored by a dry run", n)
	}
}

// stopOnFirstMapping stops the NATS server when the replay asks for its
// first mapping: JetStream goes away in the middle of a replay.
type stopOnFirstMapping struct {
	Mappings
	once sync.Once
	stop func()
}

func (s *stopOnFirstMapping) Mapping(p string) (*transform.Mapping, bool) {
	s.once.Do(s.stop)
	return s.Mappings.Mapping(p)
}

func TestReplayStopsWhenJetStreamIsDown(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, e.v1, customerCreated)
	e.deliver(t, e.v1, ping)
	r := e.replayer(&stopOnFirstMapping{Mappings: e.v2, stop: func() { e.srv.Stop(t) }})
	r.Timeout = time.Second
	rep, err := r.Replay(natstest.Context(t, 20*time.Second), deadletter.Filter{}, false)
	if err == nil || !IsUnavailable(err) {
		t.Fatalf("Replay error = %v, want an unavailable JetStream", err)
	}
	if got := outcomes(rep); !slices.Equal(got, []Outcome{Failed}) || rep.Error == "" || rep.Done() {
		t.Errorf("report = %+v, want one failure and a stop", rep)
	}

	e.srv.Restart(t)
	var ls []deadletter.Letter
	deadline := time.Now().Add(10 * time.Second)
	for {
		ls, err = e.stream.List(context.Background(), deadletter.Filter{})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(ls); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("dead letters after the outage at %v, want [1 2]", got)
	}
	if n := len(e.events(t)); n != 0 {
		t.Errorf("%d events stored", n)
	}
}

// TestReplayLeavesWhatItCannotDecode: a NATS payload that is still not
// JSON stays (same reason), and so does one of an ingest kind replay does
// not decode.
func TestReplayLeavesWhatItCannotDecode(t *testing.T) {
	e := newEnv(t)
	for _, d := range []deadletter.Letter{
		{Provider: "shop", Reason: deadletter.ReasonNotJSON, Ingest: transform.IngestNATS, Body: []byte("<xml/>")},
		{Provider: "shop", Reason: "no_rule", Ingest: transform.IngestEvents, Body: []byte(`{"name": "x"}`)},
		{Provider: "shop", Reason: "max_deliveries", Ingest: transform.IngestNATS, Body: []byte(customerCreated)},
	} {
		if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", d); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.replayer(e.v2).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(rep), []Outcome{Kept, NotReplayable, Published}; !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v (%+v)", got, want, rep.Results)
	}
	if got := seqs(e.list(t, deadletter.Filter{})); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("dead letters at %v, want [1 2]", got)
	}
}

// TestReplayKeepsWhatTheFileNoLongerAccepts: replay does not authenticate
// again, so a dead letter of an ingest kind its provider's file no longer
// accepts (here an events-protocol envelope and a NATS payload, the file
// now serving webhooks only) is left as it is, no_mapping, and no event is
// stored from it.
func TestReplayKeepsWhatTheFileNoLongerAccepts(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	v2, err := os.ReadFile("testdata/v2/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	webhookOnly := strings.Replace(string(v2), "accepts: [webhook, nats, events]\n", "", 1)
	if webhookOnly == string(v2) {
		t.Fatal("testdata/v2/shop.yaml lists no accepts to remove")
	}
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(webhookOnly), 0o600); err != nil {
		t.Fatal(err)
	}
	envelope := `{"name":"shop:customer:create","version":1,"id":"s","flowId":"f","payload":` + customerCreated + `,"auth":{"token":"[redacted]"}}`
	for _, d := range []deadletter.Letter{
		{Provider: "shop", Reason: "no_rule", Ingest: transform.IngestEvents, Body: []byte(envelope)},
		{Provider: "shop", Reason: "no_rule", Ingest: transform.IngestNATS, Body: []byte(customerCreated)},
	} {
		if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", d); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.replayer(loadSet(t, dir)).Replay(natstest.Context(t, 10*time.Second), deadletter.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(rep), []Outcome{NoMapping, NoMapping}; !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v (%+v)", got, want, rep.Results)
	}
	if n := len(e.events(t)); n != 0 {
		t.Errorf("%d events stored", n)
	}
}
