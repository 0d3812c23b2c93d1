package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

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
	if v.Outcome != DeadLettered || v.Reason != string(transform.ReasonEvalError) || v.Err == nil || !strings.Contains(v.Err.Error(), "budget") {
		t.Fatalf("three elements with a budget of one step: %v %s %v", v.Outcome, v.Reason, v.Err)
	}
	if v := New(f.pub, Options{Dedupe: f.store}).Handle(ctx, f.mapping, f.input(t, `{"entities": ["a", "b", "c"]}`)); v.Outcome != Published {
		t.Fatalf("with the default limits: %v %v", v.Outcome, v.Err)
	}
}
