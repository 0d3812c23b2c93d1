package playground

import (
	"encoding/json"

	"github.com/bridge-dev/bridge/internal/transform"
)

// Answer is what POST /api/map answers for a payload: the events and the
// profile checks, a drop, or the dead-letter reason; fields that do not
// apply are absent.
type Answer struct {
	Provider string `json:"provider"`
	File     string `json:"file"` // the mapping file the payload went through
	// Events are the structured-mode CloudEvents, ids included; an empty
	// list for a rule with `each` over an empty list.
	Events     []json.RawMessage `json:"events,omitzero"`
	Dropped    bool              `json:"dropped,omitempty"`
	Rule       *RuleRef          `json:"rule,omitempty"`   // the rule that matched, or failed
	Checks     []Check           `json:"checks,omitempty"` // every profile rule on every event
	DeadLetter *DeadLetter       `json:"dead_letter,omitempty"`
	// Fixture is the fixture test that pins this outcome (not for a dead letter).
	Fixture *Fixture `json:"fixture,omitempty"`
	// Warnings are those of the mapping as given (transform.Warning): it
	// loads, but something in it is likely not meant.
	Warnings []*transform.Warning `json:"warnings,omitempty"`
}

// RuleRef names a rule and where it is.
type RuleRef struct {
	Name string `json:"name"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// Check is a profile rule's verdict on one event.
type Check struct {
	Event int `json:"event"` // index of the event in Events
	transform.Check
}

// DeadLetter says why the payload would be dead-lettered.
type DeadLetter struct {
	Reason string `json:"reason"`          // no_rule, eval_error, invalid_event, schema
	Field  string `json:"field,omitempty"` // the rule's field that failed, e.g. data.amount
	Error  string `json:"error"`
}

// Describe turns the result of Map into an Answer (without a fixture).
func Describe(m *transform.Mapping, res transform.Result) Answer {
	a := Answer{Provider: m.Provider, File: m.File}
	if res.Rule != nil {
		a.Rule = &RuleRef{Name: res.Rule.Name, File: m.File, Line: res.Rule.Line}
	}
	switch {
	case res.Failure != nil:
		a.DeadLetter = &DeadLetter{Reason: string(res.Failure.Reason), Field: res.Failure.Field, Error: res.Failure.Error()}
	case res.Dropped:
		a.Dropped = true
	default:
		a.Events = make([]json.RawMessage, len(res.Events))
		for i, e := range res.Events {
			a.Events[i] = e.JSON
			for _, c := range transform.CheckProfile(e.JSON) {
				a.Checks = append(a.Checks, Check{Event: i, Check: c})
			}
			if res.Rule != nil && res.Rule.SchemaUnknown != "" {
				// Not a pass: a file added since the set loaded would be
				// used by bridge map and by the daemon once reloaded.
				a.Checks = append(a.Checks, Check{Event: i, Check: transform.Check{Rule: "schema",
					Error: "data not validated: the running mapping set has no schema " + res.Rule.SchemaUnknown +
						" for this dataschema (none was there when it loaded, or it was added since: reload the set to use it)"}})
			}
		}
	}
	return a
}
