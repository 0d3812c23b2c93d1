package ingest

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/bridge-dev/bridge/internal/pipeline"
)

// Answer: 202 for an event stored now, 200 for a duplicate; one event of a
// rule without each is answered by its id, any other number (or a rule
// with each) as a list.
func TestAnswerStatusAndShape(t *testing.T) {
	one := []pipeline.EventRef{{ID: "e1", Type: "t", IdempotencyKey: "k"}}
	two := append(one, pipeline.EventRef{ID: "e2", Type: "t", IdempotencyKey: "k"})
	for _, tc := range []struct {
		name   string
		v      pipeline.Verdict
		status int
		id     string // the body's id; "" when the events are a list
		events int    // the list's length, when a list
	}{
		{"published", pipeline.Verdict{Outcome: pipeline.Published, Events: one}, http.StatusAccepted, "e1", 0},
		{"duplicate", pipeline.Verdict{Outcome: pipeline.Duplicate, Events: one}, http.StatusOK, "e1", 0},
		{"published, two", pipeline.Verdict{Outcome: pipeline.Published, Events: two}, http.StatusAccepted, "", 2},
		{"published, each of one", pipeline.Verdict{Outcome: pipeline.Published, Events: one, Many: true}, http.StatusAccepted, "", 1},
		{"published, each of none", pipeline.Verdict{Outcome: pipeline.Published, Many: true}, http.StatusAccepted, "", 0},
		{"dead-lettered", pipeline.Verdict{Outcome: pipeline.DeadLettered, Reason: "no_rule", Err: errors.New("no rule")}, http.StatusAccepted, "", -1},
		{"dropped", pipeline.Verdict{Outcome: pipeline.Dropped, Rule: "r"}, http.StatusAccepted, "", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := Answer(tc.v)
			if status != tc.status || body == nil {
				t.Fatalf("status %d, body %+v; want %d", status, body, tc.status)
			}
			if body.Duplicate != (tc.v.Outcome == pipeline.Duplicate) || body.ID != tc.id {
				t.Errorf("body %+v", body)
			}
			switch {
			case tc.id != "" || tc.events < 0:
				if body.Events != nil {
					t.Errorf("events %v, want none", *body.Events)
				}
			case body.Events == nil || len(*body.Events) != tc.events:
				t.Errorf("events %v, want a list of %d", body.Events, tc.events)
			}
		})
	}
	if status, body := Answer(pipeline.Verdict{Outcome: pipeline.Failed, Err: errors.New("down")}); status != http.StatusServiceUnavailable || body != nil {
		t.Errorf("failed: %d %+v", status, body)
	}
}

// A delivery's problem carries its provider and reason only when they are
// known.
func TestProblemMembers(t *testing.T) {
	for _, tc := range []struct {
		provider, reason string
		want             map[string]any
	}{
		{"", "", map[string]any{}},
		{"stripe", "", map[string]any{"provider": "stripe"}},
		{"", "expired", map[string]any{"reason": "expired"}},
		{"stripe", "expired", map[string]any{"provider": "stripe", "reason": "expired"}},
	} {
		if got := members(tc.provider, tc.reason); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("members(%q, %q) = %v, want %v", tc.provider, tc.reason, got, tc.want)
		}
	}
}
