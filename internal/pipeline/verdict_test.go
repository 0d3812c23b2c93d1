package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestVerdicts: what each kind of delivery comes to, with the rule, the
// file and the events the verdict names, and what the streams then hold.
func TestVerdicts(t *testing.T) {
	f := setup(t, nil)
	drop, problems := transform.Parse("testdata/drop.yaml", []byte(`provider: seq
module: test
accepts: [webhook]
webhook: {signature: {scheme: none}}
rules:
  - name: ping
    when: payload.ping == true
    drop: true
  - name: step
    when: payload.entity != nil
    entity_type: thing
    event_name: stepped
    entity_id: payload.entity
    source: '"https://seq.example.com/things/" + payload.entity'
  - name: none
    when: payload.none != nil
    each: payload.none
    idempotency_key: '"none"'
    entity_type: thing
    event_name: stepped
    entity_id: item
    source: '"https://seq.example.com/things/" + item'
`), transform.Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	withDedupe := New(f.pub, Options{Dedupe: f.store})
	windowOnly := New(f.pub, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tests := []struct {
		name    string
		p       *Runner
		m       *transform.Mapping
		body    string
		replay  bool
		outcome Outcome
		rule    string
		many    bool
		events  int
		dups    int
		reason  string
		stored  int // events in the stream after it
		dlq     int // dead letters in the stream after it
	}{
		{"one event", withDedupe, f.mapping, `{"entity": "a", "seq": 1}`, false, Published, "step", false, 1, 0, "", 1, 0},
		{"its retry, from the idempotency store", withDedupe, f.mapping, `{"entity": "a", "seq": 1}`, false, Duplicate, "step", false, 1, 1, "", 1, 0},
		{"its retry, from the stream's window", windowOnly, f.mapping, `{"entity": "a", "seq": 1}`, false, Duplicate, "step", false, 1, 1, "", 1, 0},
		{"a list of events", withDedupe, f.mapping, `{"entities": ["b", "c"]}`, false, Published, "several", true, 2, 0, "", 3, 0},
		{"an empty list", withDedupe, drop, `{"none": []}`, false, Published, "none", true, 0, 0, "", 3, 0},
		{"an empty list, again: nothing was remembered", withDedupe, drop, `{"none": []}`, false, Published, "none", true, 0, 0, "", 3, 0},
		{"no rule", withDedupe, f.mapping, `{"other": 1}`, false, DeadLettered, "", false, 0, 0, "no_rule", 3, 1},
		{"no rule, replayed", withDedupe, f.mapping, `{"other": 2}`, true, DeadLettered, "", false, 0, 0, "no_rule", 3, 1},
		{"dropped", withDedupe, drop, `{"ping": true}`, false, Dropped, "ping", false, 0, 0, "", 3, 1},
	}
	for _, tc := range tests {
		in := f.input(t, tc.body)
		var v Verdict
		if tc.replay {
			v = tc.p.Replay(ctx, tc.m, in)
		} else {
			v = tc.p.Handle(ctx, tc.m, in)
		}
		if v.Outcome != tc.outcome || v.Rule != tc.rule || v.Many != tc.many || v.File != tc.m.File || v.Reason != tc.reason {
			t.Fatalf("%s: verdict %v rule %q many %v file %q reason %q (err %v); want %v rule %q many %v file %q reason %q",
				tc.name, v.Outcome, v.Rule, v.Many, v.File, v.Reason, v.Err, tc.outcome, tc.rule, tc.many, tc.m.File, tc.reason)
		}
		if v.IdempotencyKey == "" {
			t.Errorf("%s: the verdict has no idempotency key", tc.name)
		}
		dups := 0
		for _, e := range v.Events {
			if e.Duplicate {
				dups++
			}
		}
		if len(v.Events) != tc.events || dups != tc.dups {
			t.Errorf("%s: %d events, %d duplicates (%+v); want %d, %d", tc.name, len(v.Events), dups, v.Events, tc.events, tc.dups)
		}
		if n := len(f.stored(t)); n != tc.stored {
			t.Errorf("%s: the stream holds %d events, want %d", tc.name, n, tc.stored)
		}
		if n := len(natstest.StreamMessages(t, f.js, publish.DefaultDLQStream)); n != tc.dlq {
			t.Errorf("%s: %d dead letters, want %d", tc.name, n, tc.dlq)
		}
	}
}

// bridge_events_published_total counts the events stored, not their
// retries answered as duplicates nor the publishes that failed.
func TestPublishedMetricCountsNewEventsOnly(t *testing.T) {
	f := setup(t, nil)
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := New(f.pub, Options{Metrics: m})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	published := func() float64 {
		var d dto.Metric
		if err := m.EventsPublished.WithLabelValues("seq", "event.seq.test.thing.stepped").Write(&d); err != nil {
			t.Fatal(err)
		}
		return d.GetCounter().GetValue()
	}
	for i, want := range []struct {
		body    string
		outcome Outcome
		count   float64
	}{
		{`{"entity": "a", "seq": 1}`, Published, 1},
		{`{"entity": "a", "seq": 1}`, Duplicate, 1},
		{`{"entities": ["b", "c"]}`, Published, 3},
	} {
		if v := p.Handle(ctx, f.mapping, f.input(t, want.body)); v.Outcome != want.outcome {
			t.Fatalf("delivery %d: %v %v, want %v", i, v.Outcome, v.Err, want.outcome)
		}
		if got := published(); got != want.count {
			t.Errorf("after delivery %d: %v events counted as published, want %v", i, got, want.count)
		}
	}
	f.srv.Stop(t)
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	if v := p.Handle(short, f.mapping, f.input(t, `{"entity": "a", "seq": 2}`)); v.Outcome != Failed {
		t.Fatalf("with JetStream down: %v, want failed", v.Outcome)
	}
	if got := published(); got != 3 {
		t.Errorf("after a failed publish: %v events counted as published, want 3", got)
	}
}

// A dead letter keeps the delivery's headers: every value of each as
// received (Header), none when the door had none.
func TestDeadLetterKeepsTheHeaders(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, tc := range []struct {
		header http.Header
		want   []string
	}{
		{http.Header{"X-Trace": {"one", "two"}}, []string{"one", "two"}},
		{http.Header{"X-Trace": {"first"}}, []string{"first"}},
		{nil, nil},
	} {
		in := f.input(t, fmt.Sprintf(`{"other": %d}`, i))
		in.Header = tc.header
		if v := p.Handle(ctx, f.mapping, in); v.Outcome != DeadLettered {
			t.Fatalf("case %d: %v %v, want dead-lettered", i, v.Outcome, v.Err)
		}
		msgs := natstest.StreamMessages(t, f.js, publish.DefaultDLQStream)
		if len(msgs) != i+1 {
			t.Fatalf("case %d: %d dead letters, want %d", i, len(msgs), i+1)
		}
		if got := msgs[i].Header.Values(deadletter.HeaderOrigPrefix + "X-Trace"); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: the dead letter keeps X-Trace %q, want %q", i, got, tc.want)
		}
	}
}
