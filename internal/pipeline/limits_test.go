package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// The pipeline evaluates each delivery within its Options.Limits: the
// daemon shortens the time limit to fit --request-timeout.
func TestPipelineEvaluatesWithinItsLimits(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{Dedupe: f.store, Limits: transform.Limits{Steps: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := p.Handle(ctx, f.mapping, f.input(t, `{"entities": ["a", "b", "c"]}`))
	if v.Outcome != DeadLettered || v.Reason != string(deadletter.ReasonEvalError) || v.Err == nil || !strings.Contains(v.Err.Error(), "budget") {
		t.Fatalf("three elements with a budget of one step: %v %s %v", v.Outcome, v.Reason, v.Err)
	}
	if v := New(f.pub, Options{Dedupe: f.store}).Handle(ctx, f.mapping, f.input(t, `{"entities": ["a", "b", "c"]}`)); v.Outcome != Published {
		t.Fatalf("with the default limits: %v %v", v.Outcome, v.Err)
	}
}

// A delivery whose deadline passed while it was evaluated is still
// dead-lettered when it cannot be mapped: a retry then finds the dead
// letter instead of running the mapping again for ever.
func TestDeadLetterStoredPastTheDeadline(t *testing.T) {
	f := setup(t, nil)
	p := New(f.pub, Options{Dedupe: f.store})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the evaluation took the delivery's whole time
	v := p.Handle(ctx, f.mapping, f.input(t, `{"nothing": "maps this"}`))
	if v.Outcome != DeadLettered {
		t.Fatalf("verdict %v %v, want dead-lettered", v.Outcome, v.Err)
	}
	if n := len(natstest.StreamMessages(t, f.js, "EVENTS_DLQ")); n != 1 {
		t.Fatalf("%d dead letters stored, want 1", n)
	}
}
