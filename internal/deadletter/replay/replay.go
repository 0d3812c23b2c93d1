package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// DefaultTimeout bounds the replay of one dead letter: mapping, storing its
// events or its rewrite, and deleting it.
const DefaultTimeout = 10 * time.Second

// Mappings are the mapping files to replay with (a *transform.Set).
type Mappings interface {
	Mapping(provider string) (*transform.Mapping, bool)
}

// Pipeline maps a payload again without writing a dead letter
// (pipeline.Runner.Replay).
type Pipeline interface {
	Replay(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict
}

// Writer writes a dead letter (deadletter.Writer).
type Writer interface {
	Store(ctx context.Context, key string, l deadletter.Letter) (publish.Ack, error)
}

// Outcome is what a replay did with one dead letter.
type Outcome string

// Outcomes of a replay. Only Published, Duplicate and Dropped remove the
// dead letter; the others leave it where it was.
const (
	Published     Outcome = "published"      // its event(s) are stored; the dead letter is deleted
	Duplicate     Outcome = "duplicate"      // its event(s) were stored before; the dead letter is deleted
	Dropped       Outcome = "dropped"        // a drop rule matches it now; the dead letter is deleted
	Kept          Outcome = "kept"           // still not mappable, for the same reason; left as it is
	Rewritten     Outcome = "rewritten"      // not mappable for a new reason: stored again under it, then the old one deleted
	NoMapping     Outcome = "no_mapping"     // no mapping file takes its provider's payloads any more; left as it is
	NotReplayable Outcome = "not_replayable" // its body cannot be decoded again (see ErrNotReplayable); left as it is
	Failed        Outcome = "failed"         // JetStream could not store or delete; left as it is, and the replay stopped
)

// Handled reports whether the dead letter is dealt with for good.
func (o Outcome) Handled() bool { return o == Published || o == Duplicate || o == Dropped }

// Result is the replay of one dead letter.
type Result struct {
	Seq      uint64            `json:"seq"`
	Provider string            `json:"provider"`
	Reason   deadletter.Reason `json:"reason"` // the reason it was dead-lettered for
	Outcome  Outcome           `json:"outcome"`
	// NewReason is the reason it is still not mappable for (Kept,
	// Rewritten), and NewSeq the sequence of its rewrite (Rewritten).
	NewReason deadletter.Reason `json:"new_reason,omitempty"`
	NewSeq    uint64            `json:"new_seq,omitempty"`
	Rule      string            `json:"rule,omitempty"`  // the rule that matches it now
	Error     string            `json:"error,omitempty"` // why it is not mappable, or what failed
	// Events are the stored events (Published, Duplicate); in a dry run,
	// the type and idempotency key of each event it would store.
	Events []pipeline.EventRef `json:"events,omitempty"`
}

// Report is the outcome of one replay.
type Report struct {
	DryRun  bool            `json:"dry_run"`
	Results []Result        `json:"results"`
	Counts  map[Outcome]int `json:"counts"`
	// Error says why the replay stopped before the end; empty when it did not.
	Error string `json:"error,omitempty"`
}

// Done reports whether every selected dead letter was handled (published,
// a duplicate, or dropped) and the replay ran to the end.
func (r Report) Done() bool {
	if r.Error != "" {
		return false
	}
	for _, res := range r.Results {
		if !res.Outcome.Handled() {
			return false
		}
	}
	return true
}

// Summary is the report in one line: how many dead letters, per outcome.
func (r Report) Summary() string {
	var b strings.Builder
	if r.DryRun {
		b.WriteString("dry run: ")
	}
	fmt.Fprintf(&b, "%d dead letter(s)", len(r.Results))
	sep := ": "
	for _, o := range []Outcome{Published, Duplicate, Dropped, Kept, Rewritten, NoMapping, NotReplayable, Failed} {
		if n := r.Counts[o]; n > 0 {
			fmt.Fprintf(&b, "%s%d %s", sep, n, o)
			sep = ", "
		}
	}
	remain := 0
	for _, res := range r.Results {
		if !res.Outcome.Handled() {
			remain++
		}
	}
	if !r.DryRun {
		fmt.Fprintf(&b, "; %d remain", remain)
	}
	if r.Error != "" {
		b.WriteString("; stopped: " + r.Error)
	}
	return b.String()
}

// Replayer pushes dead letters through the current mappings again.
type Replayer struct {
	Stream      *deadletter.Stream
	Mappings    Mappings
	Pipeline    Pipeline
	DeadLetters Writer
	// Timeout bounds each dead letter's replay; default DefaultTimeout.
	Timeout time.Duration
	Logger  *slog.Logger // nil discards
}

// Replay replays the dead letters f selects, the oldest first:
//
//   - mapped now (published or a duplicate) or dropped by a rule: its
//     outcome is stored (acknowledged) first, then the dead letter deleted;
//   - not mappable for the same reason: left as it is;
//   - not mappable for a new reason: written again with the new reason and
//     error, the same body, original headers and receive time, then the old
//     one deleted. It is written (deadletter.Writer.Store) under the old
//     one's delivery key, so its identity (deadletter.ID) is that of the
//     key, the new reason and the body, so a replay repeated after a crash stores it once, and
//     so does the same body dead-lettered for that reason by an ingestor;
//   - no mapping file takes its provider's payloads of its ingest kind, or
//     its body cannot be decoded: left as it is.
//
// When JetStream cannot store or delete, Replay stops: nothing of that dead
// letter is deleted, the report says so, and the error is returned (it
// wraps ErrUnavailable, publish.ErrUnavailable or idem.ErrUnavailable; see
// pipeline.IsUnavailable). A dry run only applies the mappings and changes
// nothing.
func (r *Replayer) Replay(ctx context.Context, f deadletter.Filter, dryRun bool) (Report, error) {
	rep := Report{DryRun: dryRun, Results: []Result{}, Counts: map[Outcome]int{}}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	err := r.Stream.Each(ctx, f, func(l deadletter.Letter) error {
		var res Result
		var err error
		if dryRun {
			res = r.dry(l)
		} else {
			res, err = r.one(ctx, l)
			log.Info("dead letter replayed", "seq", l.Seq, "provider", l.Provider, "reason", l.Reason,
				"outcome", string(res.Outcome), "new_reason", res.NewReason, "new_seq", res.NewSeq)
		}
		rep.Results = append(rep.Results, res)
		rep.Counts[res.Outcome]++
		return err
	})
	if err != nil {
		rep.Error = err.Error()
	}
	return rep, err
}

// prepare finds l's mapping file and input; ok is false when the result is
// final already.
func (r *Replayer) prepare(l deadletter.Letter) (m *transform.Mapping, in transform.Input, res Result, ok bool) {
	res = Result{Seq: l.Seq, Provider: l.Provider, Reason: l.Reason}
	m, found := r.Mappings.Mapping(l.Provider)
	if !found {
		res.Outcome, res.Error = NoMapping, fmt.Sprintf("no mapping file for provider %q", l.Provider)
		return nil, in, res, false
	}
	// An events-protocol dead letter is not authenticated again: replay it
	// only while its file still accepts the events protocol.
	if !m.Accepts(l.Ingest) && (l.Ingest == transform.IngestWebhook || l.Ingest == transform.IngestNATS || l.Ingest == transform.IngestEvents) {
		res.Outcome, res.Error = NoMapping, fmt.Sprintf("the mapping file of provider %q does not take %s payloads", l.Provider, l.Ingest)
		return nil, in, res, false
	}
	in, err := Input(l, m)
	if err != nil {
		res.Outcome, res.Error = NotReplayable, err.Error()
		if l.Reason == deadletter.ReasonNotJSON {
			res.Outcome, res.NewReason = Kept, deadletter.ReasonNotJSON
		}
		return nil, in, res, false
	}
	return m, in, res, true
}

// dry applies the mapping only.
func (r *Replayer) dry(l deadletter.Letter) Result {
	m, in, res, ok := r.prepare(l)
	if !ok {
		return res
	}
	out := m.Apply(in)
	if out.Rule != nil {
		res.Rule = out.Rule.Name
	}
	switch {
	case out.Dropped:
		res.Outcome = Dropped
	case out.Failure != nil:
		res.Outcome, res.NewReason, res.Error = Rewritten, out.Failure.Reason, out.Failure.Error()
		if out.Failure.Reason == l.Reason {
			res.Outcome = Kept
		}
	default:
		res.Outcome = Published
		res.Events = []pipeline.EventRef{}
		for _, ev := range out.Events {
			res.Events = append(res.Events, pipeline.EventRef{Type: ev.Type, IdempotencyKey: ev.IdempotencyKey.String()})
		}
	}
	return res
}

// one replays l for real.
func (r *Replayer) one(ctx context.Context, l deadletter.Letter) (Result, error) {
	m, in, res, ok := r.prepare(l)
	if !ok {
		return res, nil
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	v := r.Pipeline.Replay(ctx, m, in)
	res.Rule = v.Rule
	switch v.Outcome {
	case pipeline.Published, pipeline.Duplicate, pipeline.Dropped:
		res.Outcome, res.Events = Outcome(v.Outcome.String()), v.Events
		if err := r.Stream.Delete(ctx, l.Seq); err != nil {
			res.Error = "stored, but the dead letter is not deleted (a replay will find it a duplicate): " + err.Error()
			return res, fmt.Errorf("dead letter %d: %w", l.Seq, err)
		}
		return res, nil
	case pipeline.DeadLettered:
		res.NewReason, res.Error = deadletter.Reason(v.Reason), errText(v.Err)
		if res.NewReason == l.Reason {
			res.Outcome = Kept
			return res, nil
		}
		return r.rewrite(ctx, l, m, v, res)
	default: // pipeline.Failed
		res.Outcome, res.Error = Failed, errText(v.Err)
		return res, fmt.Errorf("dead letter %d: %w", l.Seq, v.Err)
	}
}

// rewrite stores l again under its new reason, then deletes the old one.
func (r *Replayer) rewrite(ctx context.Context, l deadletter.Letter, m *transform.Mapping, v pipeline.Verdict, res Result) (Result, error) {
	key := l.DeliveryKey()
	if key == "" {
		key = v.IdempotencyKey
	}
	ack, err := r.DeadLetters.Store(ctx, key, deadletter.Letter{
		Provider: l.Provider, Reason: res.NewReason, Error: res.Error, File: m.File, Rule: v.Rule, Ingest: l.Ingest,
		ReceivedAt: l.ReceivedAt, Header: l.Header, Body: l.Body,
	})
	if err != nil {
		res.Outcome = Failed
		return res, fmt.Errorf("dead letter %d: rewrite as %s: %w", l.Seq, v.Reason, err)
	}
	if ack.Duplicate {
		// Written by an earlier replay of this very dead letter; make sure
		// that copy is still there before giving up the original.
		has, err := r.Stream.Has(ctx, ack.Sequence)
		if err != nil {
			res.Outcome = Failed
			return res, fmt.Errorf("dead letter %d: %w", l.Seq, err)
		}
		if !has {
			res.Outcome = Kept
			res.Error = fmt.Sprintf("its rewrite as %s (sequence %d) is gone; left as it is: %s", v.Reason, ack.Sequence, res.Error)
			return res, nil
		}
	}
	res.NewSeq = ack.Sequence
	res.Outcome = Rewritten
	if err := r.Stream.Delete(ctx, l.Seq); err != nil {
		res.Error = fmt.Sprintf("rewritten as sequence %d, but the old dead letter is not deleted: %v", ack.Sequence, err)
		return res, fmt.Errorf("dead letter %d: %w", l.Seq, err)
	}
	return res, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// IsUnavailable reports whether a Replay or Stream error means JetStream
// could not answer (try again later), as opposed to a bad filter.
func IsUnavailable(err error) bool {
	return errors.Is(err, deadletter.ErrUnavailable) || pipeline.IsUnavailable(err)
}
