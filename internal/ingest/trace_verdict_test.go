package ingest

import (
	"errors"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/pipeline"
)

// A delivery's span records an error only when the delivery failed: a
// dead letter's cause is the payload's, not the bridge's.
func TestTraceResultError(t *testing.T) {
	cause := errors.New("no rule")
	if r := traceResult(pipeline.Verdict{Outcome: pipeline.Failed, Err: cause}); r.Err != cause || r.Outcome != pipeline.Failed.String() {
		t.Errorf("failed: %+v", r)
	}
	if r := traceResult(pipeline.Verdict{Outcome: pipeline.DeadLettered, Reason: "no_rule", Err: cause}); r.Err != nil || r.Reason != "no_rule" {
		t.Errorf("dead-lettered: %+v", r)
	}
}

// Lines within the burst are never counted as left out.
func TestLogSamplerBurstExactly(t *testing.T) {
	s := NewLogSampler(2, time.Minute)
	now := time.Unix(1700000000, 0)
	for i := range 2 {
		if ok, _ := s.Allow("r", now); !ok {
			t.Fatalf("line %d of a burst of 2 left out", i+1)
		}
	}
	if _, leftOut := s.Allow("r", now.Add(time.Minute)); leftOut != nil {
		t.Errorf("left out %v, want none", leftOut)
	}
}
