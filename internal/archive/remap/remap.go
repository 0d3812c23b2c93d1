package remap

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/deadletter/replay"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// DefaultTimeout bounds the remap of one delivery: mapping it, storing its
// events, deleting the dead letters it resolves.
const DefaultTimeout = 10 * time.Second

// horizonMargin keeps a remap off the deliveries whose idempotency records
// are about to expire while it runs.
const horizonMargin = 10 * time.Minute

func (r *Remapper) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// Mappings are the mapping files to remap with (a *transform.Set).
type Mappings interface {
	Mapping(provider string) (*transform.Mapping, bool)
}

// Pipeline stores a delivery's events without writing a dead letter
// (pipeline.Runner.Replay): a key already stored is a duplicate.
type Pipeline interface {
	Replay(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict
}

// Deduper is the idempotency store (idem.Store).
type Deduper interface {
	Lookup(ctx context.Context, key uuid.UUID) (idem.Record, bool, error)
	Remember(ctx context.Context, key uuid.UUID, rec idem.Record) error
}

// Store stores a reissued event (publish.Publisher).
type Store interface {
	Publish(ctx context.Context, m publish.Message) (publish.Ack, error)
	StoredHeader(ctx context.Context, seq uint64) (nats.Header, error)
}

// Events reads a stored event by its id (eventlog.Reader).
type Events interface {
	Get(ctx context.Context, id string) (eventlog.Event, error)
}

// DeadLetters reads and deletes dead letters (deadletter.Stream).
type DeadLetters interface {
	Each(ctx context.Context, f deadletter.Filter, fn func(deadletter.Letter) error) error
	Delete(ctx context.Context, seq uint64) error
}

// Outcome is what a remap did, or in a dry run would do, with one delivery.
type Outcome string

// Outcomes.
const (
	Stored        Outcome = "stored"         // its events are stored now: it was dead-lettered or unmapped then
	Duplicate     Outcome = "duplicate"      // its key was stored already; nothing touched
	Reissued      Outcome = "reissued"       // stored already, built differently now: the corrected events are stored under new keys
	DeadLetter    Outcome = "dead_letter"    // still not mappable (Reason); nothing written: the archive keeps it
	Dropped       Outcome = "dropped"        // a drop rule matches it now
	New           Outcome = "new"            // dry run: its events would be stored
	Unchanged     Outcome = "unchanged"      // dry run: stored already, built the same now
	WouldChange   Outcome = "would_change"   // dry run: stored already, built differently now (Diff)
	NoMapping     Outcome = "no_mapping"     // no mapping file takes its provider's deliveries of its ingest kind
	NotReplayable Outcome = "not_replayable" // its body cannot be decoded again
	// BeyondHorizon: received longer ago than the idempotency store
	// remembers, so whether its events were stored is no longer known;
	// nothing is stored (the live path would store a retry that late as new).
	BeyondHorizon Outcome = "beyond_horizon"
	Failed        Outcome = "failed" // JetStream could not store or read; the remap stopped
)

// Result is the remap of one archived delivery.
type Result struct {
	Seq        uint64    `json:"seq"` // in the archive
	Provider   string    `json:"provider"`
	Ingest     string    `json:"ingest"`
	ReceivedAt time.Time `json:"received_at"`
	Key        string    `json:"idempotencykey,omitempty"` // the delivery's key under the current mappings
	Outcome    Outcome   `json:"outcome"`
	Rule       string    `json:"rule,omitempty"`
	Reason     string    `json:"reason,omitempty"` // DeadLetter: why it is still not mappable
	Error      string    `json:"error,omitempty"`
	// Events are its events: stored, the originals of a duplicate, or in a
	// dry run the type and key of each it would store.
	Events []pipeline.EventRef `json:"events,omitempty"`
	// Changes are the events built differently now (WouldChange,
	// Reissued), each with its diff.
	Changes []Change `json:"changes,omitempty"`
	// Resolved are the sequences of the dead letters of this very body that
	// its events now make redundant: deleted (a dry run: would be).
	Resolved []uint64 `json:"resolved_dead_letters,omitempty"`
}

// Change is one stored event the current mappings build differently.
type Change struct {
	Supersedes string   `json:"supersedes"`          // the stored event's id
	Type       string   `json:"type"`                // the corrected event's type
	Key        string   `json:"idempotencykey"`      // the corrected event's key
	ID         string   `json:"id,omitempty"`        // the corrected event's id, once stored
	Duplicate  bool     `json:"duplicate,omitempty"` // stored by an earlier reissue
	Diff       []string `json:"diff"`                // "- path: old" and "+ path: new" lines
}

// Report counts a remap's outcomes.
type Report struct {
	DryRun  bool            `json:"dry_run"`
	Reissue bool            `json:"reissue"`
	Counts  map[Outcome]int `json:"counts"`
	// Resolved is how many dead letters were deleted (a dry run: would be).
	Resolved int `json:"resolved_dead_letters"`
	// Error says why the remap stopped before the end; empty when it did not.
	Error string `json:"error,omitempty"`
}

// Summary is the report's last line: stored N, duplicates M, dead letters
// K, counting deliveries (a dry run: those that would be stored).
func (r Report) Summary() string {
	stored := r.Counts[Stored] + r.Counts[Reissued] + r.Counts[New] + r.Counts[WouldChange]*boolInt(r.Reissue)
	dups := r.Counts[Duplicate] + r.Counts[Unchanged] + r.Counts[WouldChange]*boolInt(!r.Reissue)
	s := fmt.Sprintf("stored %d, duplicates %d, dead letters %d", stored, dups, r.Counts[DeadLetter])
	// What was read but not remapped is said too, so that a zero summary
	// never hides it.
	for _, o := range []struct {
		outcome Outcome
		say     string
	}{{Dropped, "dropped"}, {BeyondHorizon, "beyond the idempotency horizon (not remapped)"}, {NoMapping, "no mapping"}, {NotReplayable, "not replayable"}} {
		if n := r.Counts[o.outcome]; n > 0 {
			s += fmt.Sprintf(", %s %d", o.say, n)
		}
	}
	if r.DryRun {
		s = "dry run: would have " + s
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Options of one remap.
type Options struct {
	Filter  archive.Filter
	DryRun  bool // apply the mappings and compare; change nothing
	Reissue bool // store corrected events for the stored ones built differently now
	// Limit stops after this many deliveries when > 0 (the admin API's
	// bound); the report then says so.
	Limit int
}

// Remapper runs the current mappings over archived deliveries.
type Remapper struct {
	Archive     *archive.Reader
	Mappings    Mappings
	Pipeline    Pipeline    // nil in a dry run
	Dedupe      Deduper     // required
	Store       Store       // required with Reissue
	Events      Events      // required in a dry run and with Reissue: the stored events to compare with
	DeadLetters DeadLetters // nil: dead letters are not resolved
	// Horizon is how long the idempotency store remembers a delivery
	// (--idempotency-horizon); a delivery received longer ago, less
	// horizonMargin, is BeyondHorizon. 0: no such check.
	Horizon time.Duration
	now     func() time.Time // time.Now unless a test sets it
	Limits  transform.Limits
	// Timeout bounds each delivery's remap; default DefaultTimeout.
	Timeout time.Duration
	Logger  *slog.Logger // nil discards
	// OnResult, if set, is called with each delivery's result as it is
	// done (the results are not kept: a remap runs in bounded memory).
	OnResult func(Result)
}

// ErrLimit is the Report.Error of a remap that stopped at Options.Limit.
var ErrLimit = errors.New("stopped at the limit")

// Remap remaps the deliveries o.Filter selects, the oldest first. Without
// DryRun, a delivery whose key is not stored yet has its events stored
// (and remembered in the idempotency store, as the live path does); one
// whose key is stored is a duplicate; one still not mappable is counted
// and left in the archive; the dead letters of a body whose events are
// stored (or dropped) are deleted. With Reissue, a stored delivery the
// mappings now build differently has each changed event stored again
// under the key uuid5(old event key, sha256(new event without id)) with
// the extension supersedes = the old event's id. When JetStream cannot
// store or read, Remap stops and returns the error; what it did so far
// stays done, and a rerun finds it stored.
func (r *Remapper) Remap(ctx context.Context, o Options) (Report, error) {
	rep := Report{DryRun: o.DryRun, Reissue: o.Reissue, Counts: map[Outcome]int{}}
	if err := r.check(o); err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	dead, err := r.deadLetters(ctx, o)
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	n := 0
	err = r.Archive.Each(ctx, o.Filter, func(rec archive.Record) error {
		if o.Limit > 0 && n >= o.Limit {
			return ErrLimit
		}
		n++
		res, err := r.one(ctx, rec, o, dead)
		rep.Counts[res.Outcome]++
		rep.Resolved += len(res.Resolved)
		if r.OnResult != nil {
			r.OnResult(res)
		}
		return err
	})
	if err != nil {
		rep.Error = err.Error()
		if errors.Is(err, ErrLimit) {
			return rep, nil
		}
	}
	return rep, err
}

func (r *Remapper) check(o Options) error {
	var errs []error
	if r.Archive == nil || r.Mappings == nil || r.Dedupe == nil {
		errs = append(errs, errors.New("remap: the archive, the mappings and the idempotency store are required"))
	}
	if !o.DryRun && r.Pipeline == nil {
		errs = append(errs, errors.New("remap: a pipeline is required unless it is a dry run"))
	}
	if (o.DryRun || o.Reissue) && r.Events == nil {
		errs = append(errs, errors.New("remap: the events reader is required for a dry run or a reissue"))
	}
	if o.Reissue && !o.DryRun && r.Store == nil {
		errs = append(errs, errors.New("remap: the store is required for a reissue"))
	}
	return errors.Join(append(errs, o.Filter.Validate())...)
}

// deadLetterRef is a dead letter of the provider, by its body's hash,
// with the delivery key it was stored under.
type deadLetterRef struct {
	seq    uint64
	reason deadletter.Reason
	key    string
}

// deadLetters indexes the provider's dead letters by the SHA-256 of their
// bodies (32 bytes and a sequence each, whatever their size).
func (r *Remapper) deadLetters(ctx context.Context, o Options) (map[[32]byte][]deadLetterRef, error) {
	out := map[[32]byte][]deadLetterRef{}
	if r.DeadLetters == nil {
		return out, nil
	}
	err := r.DeadLetters.Each(ctx, deadletter.Filter{Provider: o.Filter.Provider}, func(l deadletter.Letter) error {
		h := sha256.Sum256(l.Body)
		out[h] = append(out[h], deadLetterRef{l.Seq, l.Reason, l.DeliveryKey()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the dead letters of %s: %w", o.Filter.Provider, err)
	}
	return out, nil
}

// one remaps one delivery.
func (r *Remapper) one(ctx context.Context, rec archive.Record, o Options, dead map[[32]byte][]deadLetterRef) (Result, error) {
	res := Result{Seq: rec.Seq, Provider: rec.Provider, Ingest: rec.Ingest, ReceivedAt: rec.ReceivedAt}
	if r.Horizon > 0 && rec.ReceivedAt.Before(r.clock().Add(-r.Horizon+horizonMargin)) {
		res.Outcome = BeyondHorizon
		res.Error = fmt.Sprintf("received %s, beyond the idempotency horizon (%s): whether its events were stored is no longer known",
			rec.ReceivedAt.UTC().Format(time.RFC3339), r.Horizon)
		return res, nil
	}
	m, ok := r.Mappings.Mapping(rec.Provider)
	if !ok || !m.Accepts(rec.Ingest) {
		res.Outcome, res.Error = NoMapping, fmt.Sprintf("no mapping file takes %s deliveries of provider %q", rec.Ingest, rec.Provider)
		return res, nil
	}
	in, err := replay.Input(rec.Letter(), m)
	if err != nil {
		res.Outcome, res.Error = NotReplayable, err.Error()
		return res, nil
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if o.DryRun {
		err = r.dry(ctx, m, in, o, &res)
	} else {
		err = r.wet(ctx, m, in, o, &res)
	}
	if err != nil {
		res.Outcome, res.Error = Failed, err.Error()
		return res, fmt.Errorf("archived delivery %d: %w", rec.Seq, err)
	}
	if res.Outcome == Stored || res.Outcome == Duplicate || res.Outcome == Reissued || res.Outcome == Dropped ||
		res.Outcome == New || res.Outcome == Unchanged || res.Outcome == WouldChange {
		for _, d := range dead[sha256.Sum256(rec.Body)] {
			// Only this delivery's: the same body may have come as another
			// delivery (a Shopify body under another topic), whose dead
			// letter this remap does not resolve (attack of 2026-12-06).
			if rec.Key == "" || d.key != rec.Key {
				continue
			}
			if !o.DryRun {
				if err := r.DeadLetters.Delete(ctx, d.seq); err != nil {
					res.Error = fmt.Sprintf("stored, but dead letter %d is not deleted (a rerun will): %v", d.seq, err)
					return res, fmt.Errorf("archived delivery %d: %w", rec.Seq, err)
				}
			}
			res.Resolved = append(res.Resolved, d.seq)
		}
		delete(dead, sha256.Sum256(rec.Body))
	}
	return res, nil
}

// wet stores the delivery's events (a key stored already is a duplicate),
// and with Reissue corrects the stored ones.
func (r *Remapper) wet(ctx context.Context, m *transform.Mapping, in transform.Input, o Options, res *Result) error {
	v := r.Pipeline.Replay(ctx, m, in)
	res.Key, res.Rule, res.Events = v.IdempotencyKey, v.Rule, v.Events
	switch v.Outcome {
	case pipeline.Published:
		res.Outcome = Stored
	case pipeline.Duplicate:
		res.Outcome = Duplicate
		if o.Reissue {
			return r.reissue(ctx, m, in, v.Events, res)
		}
	case pipeline.DeadLettered:
		res.Outcome, res.Reason, res.Error = DeadLetter, v.Reason, errText(v.Err)
	case pipeline.Dropped:
		res.Outcome = Dropped
	default:
		return v.Err
	}
	return nil
}

// dry says what wet would do.
func (r *Remapper) dry(ctx context.Context, m *transform.Mapping, in transform.Input, o Options, res *Result) error {
	out := m.ApplyContext(ctx, in, r.Limits)
	res.Key = out.Key.String()
	if out.Rule != nil {
		res.Rule = out.Rule.Name
	}
	switch {
	case out.Dropped:
		res.Outcome = Dropped
		return nil
	case out.Failure != nil:
		res.Outcome, res.Reason, res.Error = DeadLetter, string(out.Failure.Reason), out.Failure.Error()
		return nil
	}
	rec, found, err := r.Dedupe.Lookup(ctx, out.Key)
	if err != nil {
		return err
	}
	if !found {
		res.Outcome = New
		for _, ev := range out.Events {
			res.Events = append(res.Events, pipeline.EventRef{Type: ev.Type, IdempotencyKey: ev.IdempotencyKey.String()})
		}
		return nil
	}
	for _, e := range rec.Events {
		res.Events = append(res.Events, pipeline.EventRef{ID: e.ID, Type: e.Type, IdempotencyKey: e.IdempotencyKey, Duplicate: true})
	}
	changes, err := r.changes(ctx, out.Events, res.Events)
	if err != nil {
		return err
	}
	res.Outcome, res.Changes = Unchanged, stripOrig(changes)
	if len(changes) > 0 {
		res.Outcome = WouldChange
	}
	// A correction an earlier --reissue stored is said so: its key is
	// remembered like any stored event's.
	for i := range res.Changes {
		c := &res.Changes[i]
		k, err := uuid.Parse(c.Key)
		if err != nil {
			continue
		}
		rec, found, err := r.Dedupe.Lookup(ctx, k)
		if err != nil {
			return err
		}
		if found && len(rec.Events) > 0 {
			c.ID, c.Duplicate = rec.Events[0].ID, true
		}
	}
	return nil
}

// reissue stores, for each stored event the mappings now build
// differently, the corrected event under its reissue key.
func (r *Remapper) reissue(ctx context.Context, m *transform.Mapping, in transform.Input, stored []pipeline.EventRef, res *Result) error {
	out := m.ApplyContext(ctx, in, r.Limits)
	if out.Failure != nil || out.Dropped { // it mapped a moment ago: an expression's budget ran out
		return nil
	}
	changes, err := r.changes(ctx, out.Events, stored)
	if err != nil || len(changes) == 0 {
		return err
	}
	byKey := map[string]transform.Event{}
	for _, ev := range out.Events {
		byKey[ev.IdempotencyKey.String()] = ev
	}
	for i, c := range changes {
		ev, err := corrected(byKey[c.origKey], c.Supersedes)
		if err != nil {
			return err
		}
		ref, err := r.storeOnce(ctx, ev)
		if err != nil {
			return err
		}
		changes[i].ID, changes[i].Duplicate = ref.ID, ref.Duplicate
	}
	res.Outcome, res.Changes = Reissued, stripOrig(changes)
	if allDuplicates(changes) {
		res.Outcome = Duplicate // reissued by an earlier run
	}
	return nil
}

func allDuplicates(cs []change) bool {
	for _, c := range cs {
		if !c.Duplicate {
			return false
		}
	}
	return true
}

// storeOnce stores a corrected event once: a key remembered in the
// idempotency store, or within the stream's duplicate window, is a
// duplicate; a stored one is remembered, as the live path does.
func (r *Remapper) storeOnce(ctx context.Context, ev transform.Event) (pipeline.EventRef, error) {
	ref := pipeline.EventRef{ID: ev.ID, Type: ev.Type, IdempotencyKey: ev.IdempotencyKey.String()}
	rec, found, err := r.Dedupe.Lookup(ctx, ev.IdempotencyKey)
	if err != nil {
		return ref, err
	}
	if found && len(rec.Events) > 0 {
		ref.ID, ref.Duplicate = rec.Events[0].ID, true
		return ref, nil
	}
	header := publish.EventHeader(ev.ID, ev.Type, ev.Source, ev.Subject, 0)
	ack, err := r.Store.Publish(ctx, publish.Message{Subject: ev.Type, MsgID: ref.IdempotencyKey, Header: header, Data: ev.JSON})
	if err != nil {
		return ref, fmt.Errorf("publish %s: %w", ev.Type, err)
	}
	if ack.Duplicate {
		h, err := r.Store.StoredHeader(ctx, ack.Sequence)
		if err != nil {
			return ref, fmt.Errorf("read the original of duplicate %s: %w", ref.IdempotencyKey, err)
		}
		ref.ID, ref.Duplicate = h.Get(publish.HeaderCEID), true
	}
	err = r.Dedupe.Remember(ctx, ev.IdempotencyKey, idem.Record{Events: []idem.Ref{{ID: ref.ID, Type: ref.Type, IdempotencyKey: ref.IdempotencyKey}}})
	return ref, err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
