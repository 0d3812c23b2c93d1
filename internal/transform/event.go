package transform

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

// Event is a built, profile-valid CloudEvent ready to publish.
type Event struct {
	ID             string
	Type           string
	Source         string
	Subject        string
	IdempotencyKey uuid.UUID
	JSON           []byte // structured-mode CloudEvent JSON
	// TraceParent and TraceState are the event's distributed-tracing
	// extension, which the publisher repeats as message headers; empty:
	// none.
	TraceParent, TraceState string
}

// CloudEvents extension attributes the bridge sets.
const (
	ExtIdempotencyKey = "idempotencykey" // the idempotency key
	ExtFlowID         = "flowid"         // the events protocol's flowId, to follow a flow to the subscriber
	// The CloudEvents distributed-tracing extension: the W3C trace context
	// of the delivery, so that a subscriber continues its trace.
	ExtTraceParent = "traceparent"
	ExtTraceState  = "tracestate"
	// ExtSupersedes names, on an event `bridge remap --reissue` stored to
	// correct one stored before, the id of the event it corrects.
	ExtSupersedes = "supersedes"
)

// traceContext is the W3C trace context the events of a delivery carry.
type traceContext struct{ parent, state string }

func flowIDOf(e any) string {
	switch e := e.(type) {
	case *env:
		return e.Envelope.FlowID
	case *itemEnv:
		return e.Envelope.FlowID
	}
	return ""
}

// build makes the rule's event(s). A rule with `each` makes one per element,
// each with its own key derived from the delivery key; otherwise the single
// event carries the delivery key itself.
func (r *Rule) build(provider string, key uuid.UUID, e *env, received time.Time, tc traceContext) ([]Event, *Failure) {
	if r.each == nil {
		ev, f := r.event(provider, key, e, received, tc)
		if f != nil {
			return nil, f
		}
		return []Event{ev}, nil
	}
	v, err := r.each.run(e)
	if err != nil {
		return nil, &Failure{deadletter.ReasonEvalError, "each", err}
	}
	items, ok := v.([]any)
	if !ok && v != nil {
		return nil, &Failure{deadletter.ReasonEvalError, "each", fmt.Errorf("must return a list, got %T", v)}
	}
	events := make([]Event, 0, len(items))
	for i, item := range items {
		// Each element is a step of the evaluation's budget.
		if err := e.Budget.charge(1, 0); err != nil {
			return nil, &Failure{deadletter.ReasonEvalError, fmt.Sprintf("each[%d]", i), err}
		}
		ie := &itemEnv{Payload: e.Payload, Headers: e.Headers, Query: e.Query, Provider: e.Provider, ReceivedAt: e.ReceivedAt, Envelope: e.Envelope, Item: item, Budget: e.Budget}
		ev, f := r.event(provider, idem.EventKey(key, r.Name, i), ie, received, tc)
		if f != nil {
			f.Field = fmt.Sprintf("each[%d].%s", i, f.Field)
			return nil, f
		}
		events = append(events, ev)
	}
	return events, nil
}

// event builds one event of the rule: its entity, source and time, its
// data (checked against the rule's schema), and the CloudEvent written out.
func (r *Rule) event(provider string, key uuid.UUID, e any, received time.Time, tc traceContext) (Event, *Failure) {
	entity, extID, f := r.entity(provider, e)
	if f != nil {
		return Event{}, f
	}
	srcV, err := r.source.run(e)
	if err != nil {
		return Event{}, &Failure{deadletter.ReasonEvalError, "source", err}
	}
	src, ok := srcV.(string)
	if !ok {
		return Event{}, &Failure{deadletter.ReasonEvalError, "source", fmt.Errorf("must be a string, got %T", srcV)}
	}
	t, f := r.eventTime(e, received)
	if f != nil {
		return Event{}, f
	}
	data, f := r.eventData(e, entity, extID)
	if f != nil {
		return Event{}, f
	}
	normalize(data)
	dataJSON, native, err := jsonx.MarshalSorted(data, r.dataKeys)
	if err != nil {
		return Event{}, &Failure{deadletter.ReasonEvalError, "data", fmt.Errorf("cannot be written as JSON: %w", err)}
	}
	if r.schema != nil {
		if err := validateData(r.schema, r.check, data, dataJSON, native); err != nil {
			return Event{}, &Failure{deadletter.ReasonSchema, "data", err}
		}
	}
	// source is the one attribute an expression writes: checked per event.
	// The rule's constants (type, dataschema, the subject's entity type)
	// were checked when the file was loaded; id, subject's UUID, time and
	// idempotencykey are the bridge's own.
	srcURL, err := parseAbsURI(src)
	if err != nil {
		return Event{}, &Failure{deadletter.ReasonInvalidEvent, "source", err}
	}
	return r.write(eventParts{key: key, src: src, srcURL: srcURL, subject: r.EntityType + "/" + entity, time: t,
		data: dataJSON, flow: flowIDOf(e), tc: tc})
}

// entity evaluates the rule's entity_id: the provider's id of the entity
// (extID) and the entity's UUID.
func (r *Rule) entity(provider string, e any) (entity, extID string, f *Failure) {
	rawID, err := r.entityID.run(e)
	if err != nil {
		return "", "", &Failure{deadletter.ReasonEvalError, "entity_id", err}
	}
	extID, err = idString(rawID)
	if err != nil {
		return "", "", &Failure{deadletter.ReasonEvalError, "entity_id", err}
	}
	return idem.EntityID(provider, r.EntityType, extID).String(), extID, nil
}

// eventTime evaluates the rule's time; without one, the event happened
// when it was received.
func (r *Rule) eventTime(e any, received time.Time) (time.Time, *Failure) {
	if r.time == nil {
		return received, nil
	}
	tv, err := r.time.run(e)
	if err != nil {
		return time.Time{}, &Failure{deadletter.ReasonEvalError, "time", err}
	}
	t, err := asTime(tv)
	if err != nil {
		return time.Time{}, &Failure{deadletter.ReasonEvalError, "time", err}
	}
	return t, nil
}

// eventData evaluates the rule's data and completes it with the entity's
// UUID and the provider's id, unless the rule set them.
func (r *Rule) eventData(e any, entity, extID string) (map[string]any, *Failure) {
	var data map[string]any
	if r.data == nil {
		data = make(map[string]any, 2)
	} else {
		dv, field, err := r.data.eval(e, "data")
		if err != nil {
			return nil, &Failure{deadletter.ReasonEvalError, field, err}
		}
		m, ok := dv.(map[string]any)
		if !ok {
			return nil, &Failure{deadletter.ReasonInvalidEvent, "data", fmt.Errorf("must be a JSON object, got %T", dv)}
		}
		data = m
		if r.data.leaf != nil {
			// One expression's map may be the payload's own (data:
			// payload.meta), which every event of an `each` rule reads:
			// the entity's keys go into a copy (attack of 2026-12-06:
			// every event had the first one's entity).
			data = make(map[string]any, len(m)+2)
			for k, v := range m {
				data[k] = v
			}
		}
	}
	// What expressions built is written out recursively below: a value
	// nested deeper than a JSON document may be is refused first.
	if tooDeep(data, jsonx.MaxDepth-1) {
		return nil, &Failure{deadletter.ReasonInvalidEvent, "data", fmt.Errorf("nests deeper than %d levels", jsonx.MaxDepth)}
	}
	if id, set := data["entity_id"]; set {
		// The rule's own entity_id must be a UUID (the bridge's always is).
		if s, _ := id.(string); !isEntityUUID(s) {
			// Said without writing out a value that may be huge.
			shown := any(fmt.Sprintf("a %T", id))
			switch x := id.(type) {
			case string:
				shown = strconvQuote(x, 80)
			case float64, int, int64, bool, nil:
				shown = x
			}
			return nil, &Failure{deadletter.ReasonInvalidEvent, "data.entity_id", fmt.Errorf("must be the entity's UUID, got %v", shown)}
		}
	} else {
		data["entity_id"] = entity
	}
	if _, set := data["external_entity_id"]; !set {
		data["external_entity_id"] = extID
	}
	return data, nil
}

// eventParts is what write needs of an event built so far.
type eventParts struct {
	key     uuid.UUID
	src     string
	srcURL  *url.URL
	subject string
	time    time.Time
	data    []byte // the data, written as JSON
	flow    string // the flow id extension; "": none
	tc      traceContext
}

// Event ids are drawn from google/uuid's pool of random bytes, read from
// crypto/rand in batches, instead of a read (and an allocation) per id.
// An id is not a secret: it names the event to its subscribers. Set once
// here, before any id is made (the pool's switch is not safe to flip
// while ids are made).
func init() { uuid.EnableRandPool() }

// write gives the event a new id and writes it as a structured CloudEvent,
// refused when it is as large as the profile forbids.
func (r *Rule) write(p eventParts) (Event, *Failure) {
	id := uuid.Must(uuid.NewV7()).String()
	raw := r.appendEventJSON(make([]byte, 0, len(p.data)+eventJSONOverhead+len(p.subject)+len(p.src)+len(r.Type)+len(r.dataSchemaText)), id, p)
	if len(raw) >= MaxEventSize {
		return Event{}, &Failure{deadletter.ReasonInvalidEvent, "size", fmt.Errorf("the serialized event is %d bytes; the profile allows fewer than %d", len(raw), MaxEventSize)}
	}
	return Event{ID: id, Type: r.Type, Source: p.src, Subject: p.subject, IdempotencyKey: p.key, JSON: raw,
		TraceParent: p.tc.parent, TraceState: p.tc.state}, nil
}

// eventJSONOverhead is room enough, in most events, for what
// appendEventJSON writes besides the data and the variable attributes.
const eventJSONOverhead = 384

// strconvQuote quotes s, cut to at most n bytes.
func strconvQuote(s string, n int) string {
	if len(s) > n {
		return strconv.Quote(s[:n]) + "…"
	}
	return strconv.Quote(s)
}

func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		p, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", t)
		}
		return p, nil
	case nil:
		return time.Time{}, errMissing
	}
	return time.Time{}, fmt.Errorf("must be a time or an RFC 3339 string, got %T", v)
}

// eval builds the value of a data node; on error it names the failing field.
func (d *dataNode) eval(e any, field string) (any, string, error) {
	if d.whole != nil {
		b := budgetOfEnv(e)
		var before budget
		if b != nil {
			before = *b
		}
		if v, err := d.runWhole(e, 2); err == nil { // room for entity_id and external_entity_id
			return v, field, nil
		}
		// Evaluated again leaf by leaf below, for the error to name its
		// field, with the steps and bytes the whole run found: one run
		// adds up its leaves' memory against expr's budget for a run,
		// which each leaf alone may keep within, and what it spent must
		// not fail the leaves a second time. The deadline stays: the
		// evaluation still ends in time.
		if b != nil {
			b.steps, b.bytes, b.err = before.steps, before.bytes, before.err
		}
	}
	switch {
	case d.leaf != nil:
		v, err := d.leaf.run(e)
		return v, d.leaf.field, err
	case d.isMap:
		m := make(map[string]any, len(d.keys))
		for i, k := range d.keys {
			v, f, err := d.vals[i].eval(e, field+"."+k)
			if err != nil {
				return nil, f, err
			}
			m[k] = v
		}
		return m, field, nil
	}
	l := make([]any, len(d.list))
	for i, c := range d.list {
		v, f, err := c.eval(e, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, f, err
		}
		l[i] = v
	}
	return l, field, nil
}
