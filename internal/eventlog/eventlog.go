// Package eventlog reads the bridge's stored events back from the events
// stream, for people rather than subscribers: list them with filters (type,
// time, entity), get one by its id, follow new ones as they are stored.
// `bridge events`, `bridge tail` and the admin API's /api/events use it.
//
// It only reads: it creates ordered (ephemeral) consumers, never a durable
// one, and never acknowledges, deletes or changes a message. It does not
// validate events (the pipeline did before storing them) nor know the
// mappings.
package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned by Get for an id no stored event has.
var ErrNotFound = errors.New("no stored event has this id")

// errNotV7 is returned by Get for an id that cannot be one of the bridge's.
var errNotV7 = errors.New("not a UUID v7, as the bridge's event ids are")

// ParseSince reads a --since duration: Go's (90m, 24h) or whole days (7d).
func ParseSince(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 100*365 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 90m, 24h or 7d", v)
	}
	return d, nil
}

// Limits of a listing.
const (
	DefaultLimit = 100
	MaxLimit     = 1_000
	// MaxListBytes bounds the stored bytes of the events one listing
	// holds (events are up to 12 KiB each): a listing that reaches it
	// ends there, marked truncated.
	MaxListBytes = 4 << 20
)

// getWindow is how far around the time in an event's id (a UUID v7) Get
// looks for it: the id is made as the delivery is mapped and the event is
// stored within the delivery's deadline, but clocks of bridge replicas and
// NATS servers differ, and a replayed dead letter is stored later.
// Get looks from getBefore before that time to getAfter after it.
const (
	getBefore = 2 * time.Minute
	getAfter  = 10 * time.Minute
)

// Filter selects stored events. The zero Filter selects every event.
type Filter struct {
	// Type is an event type or a pattern of them with NATS wildcards:
	// "event.stripe.payments.charge.succeeded", "event.stripe.>",
	// "event.*.payments.>". Empty: every type.
	Type string
	// Since keeps events stored within this long; 0: from the first.
	Since time.Duration
	// Entity keeps the events of one entity: its subject
	// ("charge/ch_123") or its id alone ("ch_123").
	Entity string
	// Limit is the most events returned, the oldest first; 0 means
	// DefaultLimit.
	Limit int
}

// checkPattern checks a NATS subject pattern as the server would: tokens
// separated by dots, none empty, of printable characters without spaces;
// '*' and '>' only as whole tokens, '>' only last.
func checkPattern(p string) error {
	tokens := strings.Split(p, ".")
	for i, tok := range tokens {
		switch {
		case tok == "":
			return errors.New("an empty token")
		case tok == ">" && i != len(tokens)-1:
			return errors.New("'>' must be the last token")
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return errors.New("'*' and '>' stand for whole tokens only")
		}
		for _, c := range tok {
			if c <= ' ' || c == 0x7f || !unicode.IsPrint(c) {
				return fmt.Errorf("the character %q", c)
			}
		}
	}
	return nil
}

// Validate reports every problem of f at once.
func (f Filter) Validate() error {
	var errs []error
	if f.Type != "" {
		if !strings.HasPrefix(f.Type, "event.") && f.Type != ">" {
			errs = append(errs, fmt.Errorf("type %q: event types start with \"event.\" (event.<provider>.<module>.<entity_type>.<event_name>; * and > are wildcards)", f.Type))
		} else if err := checkPattern(f.Type); err != nil {
			errs = append(errs, fmt.Errorf("type %q is not a type or a pattern of them: %w", f.Type, err))
		}
	}
	if f.Since < 0 {
		errs = append(errs, fmt.Errorf("since %s: must not be negative", f.Since))
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("limit %d: must be between 0 and %d", f.Limit, MaxLimit))
	}
	return errors.Join(errs...)
}

// Event is one stored event.
type Event struct {
	Seq      uint64      // its sequence in the stream
	StoredAt time.Time   // when the stream stored it
	Subject  string      // the NATS subject it is stored on (its type)
	Header   nats.Header // its NATS headers (ce-id, ce-type, Nats-Msg-Id, ...)
	Event    event.Event
	// Raw is the stored body, byte for byte (a structured-mode CloudEvent).
	Raw []byte
}

// MarshalJSON writes the event as a person reads it: where it is stored
// and the CloudEvent itself.
func (e Event) MarshalJSON() ([]byte, error) {
	hdr := map[string]string{}
	for k, v := range e.Header {
		if len(v) > 0 {
			hdr[k] = v[0]
		}
	}
	return json.Marshal(struct {
		Seq      uint64            `json:"seq"`
		StoredAt time.Time         `json:"stored_at"`
		Subject  string            `json:"subject"`
		Headers  map[string]string `json:"headers"`
		Event    json.RawMessage   `json:"event"`
	}{e.Seq, e.StoredAt, e.Subject, hdr, e.Raw})
}

// Reader reads the events stream.
type Reader struct {
	js     jetstream.JetStream
	stream string
}

// NewReader reads stream (the bridge's events stream, "EVENTS" by default)
// through js.
func NewReader(js jetstream.JetStream, stream string) *Reader {
	return &Reader{js: js, stream: stream}
}

// List returns the events f selects, the oldest first, at most f.Limit
// (and MaxListBytes of them).
func (r *Reader) List(ctx context.Context, f Filter) ([]Event, error) {
	events, _, err := r.ListPage(ctx, f)
	return events, err
}

// ListPage is List, and whether it stopped at MaxListBytes before f.Limit
// or the last event that matches.
func (r *Reader) ListPage(ctx context.Context, f Filter) (events []Event, truncated bool, err error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	var start time.Time
	if f.Since > 0 {
		start = time.Now().Add(-f.Since)
	}
	size := 0
	err = r.scan(ctx, f.Type, start, func(m jetstream.Msg) (bool, error) {
		// The entity is matched on the headers first: only the events
		// listed are decoded.
		if f.Entity != "" && m.Headers().Get("ce-subject") != "" && !matchEntity(Event{Header: m.Headers()}, f.Entity) {
			return true, nil
		}
		if size+len(m.Data()) > MaxListBytes && len(events) > 0 {
			truncated = true
			return false, nil
		}
		e, err := decode(m)
		if err != nil || !matchEntity(e, f.Entity) {
			return err == nil, err
		}
		events = append(events, e)
		size += len(m.Data())
		return len(events) < limit, nil
	})
	return events, truncated, err
}

// Get returns the stored event whose id is id. The bridge's ids are UUID
// v7, which hold the time they were made: Get reads only the events stored
// from getBefore before that time to getAfter after it, comparing their
// ce-id headers, and decodes only the one it finds.
func (r *Reader) Get(ctx context.Context, id string) (Event, error) {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		return Event{}, fmt.Errorf("id %q: %w", id, errNotV7)
	}
	id = u.String() // stored in this form, whatever form it was given in
	sec, nsec := u.Time().UnixTime()
	made := time.Unix(sec, nsec)
	var found Event
	from, to := made.Add(-getBefore), made.Add(getAfter)
	err = r.scan(ctx, "", from, func(m jetstream.Msg) (bool, error) {
		if m.Headers().Get("ce-id") != id {
			meta, err := m.Metadata()
			return err == nil && !meta.Timestamp.After(to), err
		}
		found, err = decode(m)
		return false, err
	})
	if err != nil {
		return Event{}, err
	}
	if found.Seq == 0 {
		return Event{}, fmt.Errorf("id %s: %w (looked at the events stored from %s to %s)", id, ErrNotFound,
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return found, nil
}

// Follow calls fn with each event f selects (f.Limit aside) as it is
// stored, starting with those stored within f.Since (none when 0), until
// ctx ends or fn fails. It returns nil when ctx ends.
func (r *Reader) Follow(ctx context.Context, f Filter, fn func(Event) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	cfg := consumerConfig(f.Type, time.Time{})
	if f.Since > 0 {
		start := time.Now().Add(-f.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	} else {
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := r.js.OrderedConsumer(ctx, r.stream, cfg)
	if err != nil {
		return r.streamError(err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading stream %s: %w", r.stream, err)
		}
		for m := range batch.Messages() {
			e, err := decode(m)
			if err != nil {
				return err
			}
			if !matchEntity(e, f.Entity) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			return fmt.Errorf("reading stream %s: %w", r.stream, err)
		}
	}
	return nil
}

// scan reads the events of type pattern typ stored from start (the
// first when zero) up to the last stored when it began, calling fn with
// each until fn says stop.
func (r *Reader) scan(ctx context.Context, typ string, start time.Time, fn func(jetstream.Msg) (bool, error)) error {
	cons, err := r.js.OrderedConsumer(ctx, r.stream, consumerConfig(typ, start))
	if err != nil {
		return r.streamError(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", r.stream, err)
	}
	pending := info.NumPending
	for pending > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := cons.Fetch(int(min(pending, 256)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("reading stream %s: %w", r.stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("reading stream %s: %w", r.stream, err)
			}
			pending = meta.NumPending
			if more, err := fn(m); err != nil || !more {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("reading stream %s: %w", r.stream, err)
		}
		if n == 0 { // nothing came in time: what was pending is gone (purged, expired)
			return nil
		}
	}
	return nil
}

func consumerConfig(typ string, start time.Time) jetstream.OrderedConsumerConfig {
	cfg := jetstream.OrderedConsumerConfig{}
	if typ != "" && typ != ">" {
		cfg.FilterSubjects = []string{typ}
	}
	if !start.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	return cfg
}

func (r *Reader) streamError(err error) error {
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s does not exist: no bridge has run against this NATS server (or it uses another stream name)", r.stream)
	}
	return fmt.Errorf("reading stream %s: %w", r.stream, err)
}

func decode(m jetstream.Msg) (Event, error) {
	meta, err := m.Metadata()
	if err != nil {
		return Event{}, fmt.Errorf("stored event on %s: %w", m.Subject(), err)
	}
	e := Event{Seq: meta.Sequence.Stream, StoredAt: meta.Timestamp, Subject: m.Subject(), Header: m.Headers(), Raw: m.Data()}
	if err := json.Unmarshal(m.Data(), &e.Event); err != nil {
		// Shown as stored: a reader must not hide what is there.
		e.Event = event.New()
		e.Event.SetID(e.Header.Get("ce-id"))
		e.Event.SetType(e.Header.Get("ce-type"))
	}
	return e, nil
}

// matchEntity reports whether e is an event of entity: its subject
// ("charge/<uuid>") or the entity's UUID alone, or the provider's id of it
// with or without its type ("charge/ch_1", "ch_1"): the bridge stores
// idem.EntityID(provider, entity type, provider's id) in the subject, so
// the provider's id is turned into that UUID with the event's provider and
// type. An empty entity matches all.
func matchEntity(e Event, entity string) bool {
	if entity == "" {
		return true
	}
	subject := e.Header.Get("ce-subject")
	if subject == "" {
		subject = e.Event.Subject()
	}
	etype, uid, ok := strings.Cut(subject, "/")
	if !ok {
		return subject == entity
	}
	want := entity
	if t, id, typed := strings.Cut(entity, "/"); typed {
		if t != etype {
			return false
		}
		want = id
	}
	if want == uid {
		return true
	}
	typ := e.Header.Get("ce-type")
	if typ == "" {
		typ = e.Event.Type()
	}
	tokens := strings.SplitN(typ, ".", 3) // event.<provider>.…
	if len(tokens) < 3 {
		return false
	}
	return idem.EntityID(tokens[1], etype, want).String() == uid
}
