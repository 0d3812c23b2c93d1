package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/archive/remap"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/transform"
)

var remapHelp = help{name: "remap", args: "--provider P [--since D | --from-seq N] [--dry-run] [--reissue] [flags]",
	purpose: "run the current mappings over a provider's archived deliveries (RAW): store what was dead-lettered or unmapped then",
	more: `Default: a delivery whose key is not stored yet has its events stored (and its
dead letters of the same body deleted); one already stored is a duplicate and
is not touched. --dry-run prints, per delivery, new / unchanged / would change
(with a diff of the event) and changes nothing. --reissue stores, for a stored
event the mappings now build differently, the corrected event under a new
deterministic key, with the extension supersedes = the old event's id.
The last line is "stored N, duplicates M, dead letters K" (deliveries).
The provider's mapping file is loaded as bridge run loads it (its secrets
from the environment; the other providers' files need not have theirs).
` + natsSettingsText}

// remapFlags are bridge remap's flags.
type remapFlags struct {
	*toolFlags
	filter          archive.Filter
	dryRun, reissue bool
	asJSON          bool
	timeout         time.Duration
	nats            *natsFlags
}

func newRemapFlags(stdout, stderr io.Writer) *remapFlags {
	f := &remapFlags{toolFlags: newToolFlags(&remapHelp, stdout, stderr)}
	f.fs.StringVar(&f.filter.Provider, "provider", "", "the provider whose archived deliveries to remap (required)")
	f.fs.Var(sinceValue{&f.filter.Since}, "since", "only deliveries archived within this long (90m, 24h, 7d)")
	f.fs.Uint64Var(&f.filter.FromSeq, "from-seq", 0, "only deliveries from this RAW stream sequence on")
	f.fs.BoolVar(&f.dryRun, "dry-run", false, "print what would become of each delivery, with the diff of a changed event; change nothing")
	f.fs.BoolVar(&f.reissue, "reissue", false, "store corrected events for stored ones the mappings now build differently (extension supersedes)")
	f.fs.BoolVar(&f.asJSON, "json", false, "print one JSON object per delivery, then the report")
	f.fs.DurationVar(&f.timeout, "timeout", remap.DefaultTimeout, "how long to try to store each delivery's events")
	f.nats = addNATSFlags(f.fs)
	return f
}

// parse returns the exit code to stop with, or -1 to go on; the mapping
// and schema directories not given by flag or variable come from the
// config file, as bridge run reads them.
func (f *remapFlags) parse(args []string) (archive.Config, int) {
	if code := f.toolFlags.parse(args); code >= 0 {
		return archive.Config{}, code
	}
	if f.filter.Provider == "" {
		return archive.Config{}, f.help.usageError(f.stderr, "--provider is required")
	}
	if err := f.filter.Validate(); err != nil {
		return archive.Config{}, f.help.usageError(f.stderr, "%s", flagNames(err, "provider", "since", "from-seq"))
	}
	cfg, err := f.nats.resolve()
	if err != nil {
		return archive.Config{}, f.help.usageError(f.stderr, "%v", err)
	}
	f.dirsFromConfig(cfg)
	return cfg.Archive, -1
}

// runRemap is `bridge remap`.
func runRemap(args []string, stdout, stderr io.Writer) int {
	f := newRemapFlags(stdout, stderr)
	acfg, code := f.parse(args)
	if code >= 0 {
		return code
	}
	m, err := providerMapping(f.mappings, f.schemas, f.filter.Provider)
	if err != nil {
		fmt.Fprintf(stderr, "bridge remap: %s\n", strings.ReplaceAll(err.Error(), "\n", "\nbridge remap: "))
		return 1
	}
	set := oneMapping{m}
	tools, err := connectStoreTools(f.nats)
	if err != nil {
		fmt.Fprintf(stderr, "bridge remap: %v\n", err)
		return 1
	}
	defer tools.close()
	ctx, js, cfg := tools.ctx, tools.js, tools.cfg
	horizon, err := idemHorizon(ctx, js)
	if err != nil {
		fmt.Fprintf(stderr, "bridge remap: %v\n", err)
		return 1
	}
	r := &remap.Remapper{Archive: archive.NewReader(js, acfg), Mappings: set, Dedupe: tools.store, Store: tools.pub, Horizon: horizon,
		Events: eventlog.NewReader(js, cfg.Stream), DeadLetters: deadletter.NewStream(js, cfg), Limits: transform.DefaultLimits,
		Timeout: f.timeout}
	if !f.dryRun {
		r.Pipeline = tools.pipeline()
	}
	progress := newProgress(stderr)
	enc := json.NewEncoder(stdout)
	r.OnResult = func(res remap.Result) {
		if f.asJSON {
			_ = enc.Encode(res)
		} else {
			progress.clear() // the line about to be printed is not appended to it
			fmt.Fprint(stdout, describeRemap(res))
		}
		progress.add(res)
	}
	rep, err := r.Remap(ctx, remap.Options{Filter: f.filter, DryRun: f.dryRun, Reissue: f.reissue})
	progress.done()
	if f.asJSON {
		_ = enc.Encode(map[string]any{"report": rep, "summary": rep.Summary()})
	} else {
		if rep.Resolved > 0 {
			verb := "deleted"
			if rep.DryRun {
				verb = "would delete"
			}
			fmt.Fprintf(stdout, "resolved dead letters: %d (%s)\n", rep.Resolved, verb)
		}
		fmt.Fprintln(stdout, rep.Summary())
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge remap: %v\n", err)
		return 1
	}
	return 0
}

// idemHorizon is how long the idempotency bucket remembers a delivery: its
// TTL, as bridge run set it from --idempotency-horizon.
func idemHorizon(ctx context.Context, js jetstream.JetStream) (time.Duration, error) {
	h, _, found, err := idemBucket(ctx, js)
	if err == nil && !found {
		err = fmt.Errorf("idempotency bucket %s: %w", idem.DefaultBucket, jetstream.ErrBucketNotFound)
	}
	return h, err
}

// describeRemap is what `bridge remap` prints of one delivery: a line, and
// the diff of each changed event.
func describeRemap(r remap.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s -> %s", r.Seq, r.Ingest, r.ReceivedAt.UTC().Format(time.RFC3339), strings.ReplaceAll(string(r.Outcome), "_", " "))
	switch r.Outcome {
	case remap.Stored, remap.Duplicate, remap.New, remap.Unchanged:
		for _, ev := range r.Events {
			id := ev.ID
			if id == "" {
				id = "idempotencykey " + ev.IdempotencyKey
			}
			fmt.Fprintf(&b, " %s %s", ev.Type, id)
		}
	case remap.DeadLetter:
		fmt.Fprintf(&b, ": %s: %s", r.Reason, r.Error)
	case remap.Dropped:
		fmt.Fprintf(&b, " (rule %s)", r.Rule)
	case remap.WouldChange, remap.Reissued:
	default:
		fmt.Fprintf(&b, ": %s", r.Error)
	}
	if len(r.Resolved) > 0 {
		fmt.Fprintf(&b, " (resolves dead letter(s) %s)", seqList(r.Resolved))
	}
	b.WriteString("\n")
	for _, c := range r.Changes {
		id := c.ID
		if id == "" {
			id = "idempotencykey " + c.Key
		}
		fmt.Fprintf(&b, "    %s %s supersedes %s", c.Type, id, c.Supersedes)
		if c.Duplicate {
			b.WriteString(" (reissued before)")
		}
		b.WriteString("\n")
		for _, line := range c.Diff {
			fmt.Fprintf(&b, "      %s\n", line)
		}
	}
	return b.String()
}

func seqList(seqs []uint64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = fmt.Sprintf("#%d", s)
	}
	return strings.Join(parts, ", ")
}

// progress shows, on a terminal, how many deliveries are done.
type progress struct {
	w       io.Writer // nil: not a terminal
	n       int
	counts  map[remap.Outcome]int
	lastOut time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{counts: map[remap.Outcome]int{}}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.w = w
		}
	}
	return p
}

func (p *progress) add(r remap.Result) {
	p.n++
	p.counts[r.Outcome]++
	if p.w == nil || time.Since(p.lastOut) < 100*time.Millisecond {
		return
	}
	p.lastOut = time.Now()
	fmt.Fprintf(p.w, "\rremap: %d deliveries ...", p.n)
}

// clear erases the progress line, if one is shown.
func (p *progress) clear() {
	if p.w != nil && !p.lastOut.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) done() {
	if p.w != nil && p.n > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
