package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/backfill"
	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

var backfillHelp = help{name: "backfill", args: "PROVIDER --since D [flags]",
	purpose: "page through the provider's list API (its mapping file's backfill: block) and store the events the webhook missed",
	more: `Each item of the list goes through the provider's rules as a delivery of
ingest kind backfill: an event already stored (by the webhook, or an earlier
backfill) is a duplicate, only the missing ones are stored. It ends with
"stored N, duplicates M, dead letters K". Stopped half-way (a crash, ^C),
it is run again: what it stored is a duplicate the second time.
The credentials are the ${VAR}s of the block's auth, from the environment;
the mapping file loads as bridge run loads it (its secrets set).
--since and --until take a duration ago (90m, 72h, 7d); --until also an
RFC 3339 time. --dry-run stores nothing and lists each item: new,
duplicate, or the dead-letter reason it would get.
` + natsSettingsText}

// backfillFlags are bridge backfill's flags.
type backfillFlags struct {
	*toolFlags
	nats        *natsFlags
	since       time.Duration
	until       untilValue
	url         string
	dryRun      bool
	asJSON      bool
	maxPages    int
	timeout     time.Duration
	provider    string
	maxPageSize int64
}

func newBackfillFlags(stdout, stderr io.Writer) *backfillFlags {
	f := &backfillFlags{toolFlags: newToolFlags(&backfillHelp, stdout, stderr)}
	f.fs.Var(sinceValue{&f.since}, "since", "ask for the events of this long ago onwards (90m, 72h, 7d; required)")
	f.fs.Var(&f.until, "until", "ask for the events up to this time: RFC 3339, or a duration ago (default now)")
	f.fs.StringVar(&f.url, "url", "", "the list API's URL instead of the block's (a staging API; https, or http to loopback)")
	f.fs.BoolVar(&f.dryRun, "dry-run", false, "store nothing: list each item as new, duplicate or the dead-letter reason it would get")
	f.fs.BoolVar(&f.asJSON, "json", false, "print the report (and the items of a dry run or a dead letter) as JSON")
	f.fs.IntVar(&f.maxPages, "max-pages", backfill.DefaultMaxPages, "stop with an error past this many pages")
	f.fs.Int64Var(&f.maxPageSize, "max-page-bytes", backfill.DefaultMaxPageBytes, "refuse a page larger than this")
	f.fs.DurationVar(&f.timeout, "timeout", backfill.DefaultTimeout, "how long to try to store each item, and to wait for each page")
	f.nats = addNATSFlags(f.fs)
	return f
}

// untilValue is --until: an RFC 3339 time or a duration ago.
type untilValue struct{ t time.Time }

func (u *untilValue) String() string {
	if u == nil || u.t.IsZero() {
		return ""
	}
	return u.t.UTC().Format(time.RFC3339)
}

func (u *untilValue) Set(v string) error {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		u.t = t
		return nil
	}
	d, err := eventlog.ParseSince(v)
	if err != nil {
		return fmt.Errorf("%q is neither an RFC 3339 time nor a duration such as 90m, 24h or 7d", v)
	}
	u.t = time.Now().Add(-d)
	return nil
}

// parse returns the exit code to stop with, or -1 to go on. PROVIDER may
// come before or after the flags.
func (f *backfillFlags) parse(args []string) int {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return f.help.parseError(err, f.fs, f.stdout, f.stderr)
		}
		if f.fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, f.fs.Arg(0)), f.fs.Args()[1:]
	}
	switch {
	case len(pos) == 0:
		return f.help.usageError(f.stderr, "which provider? (the provider of a mapping file with a backfill: block)")
	case len(pos) > 1:
		return f.help.usageError(f.stderr, "unexpected argument %q", pos[1])
	case f.since <= 0:
		return f.help.usageError(f.stderr, "--since is required (72h, 7d: how far back to ask)")
	case !f.until.t.IsZero() && !f.until.t.After(time.Now().Add(-f.since)):
		return f.help.usageError(f.stderr, "--until %s is not after --since %s ago: the window is empty", f.until.t.UTC().Format(time.RFC3339), f.since)
	case f.maxPages < 1 || f.maxPageSize < 1 || f.timeout <= 0:
		return f.help.usageError(f.stderr, "--max-pages, --max-page-bytes and --timeout must be positive")
	}
	if f.url != "" {
		if err := transform.CheckBackfillURL(f.url); err != nil {
			return f.help.usageError(f.stderr, "--url: %v", err)
		}
	}
	f.provider = pos[0]
	cfg, err := f.nats.resolve()
	if err != nil {
		return f.help.usageError(f.stderr, "%v", err)
	}
	f.dirsFromConfig(cfg)
	return -1
}

// mapping finds the provider's file in the set and loads it again as
// bridge run does, with its own secrets from the environment (the other
// providers' files need not have theirs set).
func (f *backfillFlags) mapping() (*transform.Mapping, error) {
	m, err := providerMapping(f.mappings, f.schemas, f.provider)
	if err != nil {
		return nil, err
	}
	if m.Backfill() == nil {
		return nil, fmt.Errorf("%s has no backfill: block: the list API to read (see docs/backfill.md)", m.File)
	}
	return m, nil
}

// runBackfill is `bridge backfill PROVIDER`.
func runBackfill(args []string, stdout, stderr io.Writer) int {
	f := newBackfillFlags(stdout, stderr)
	if code := f.parse(args); code >= 0 {
		return code
	}
	// The values of the API credentials, kept out of what is printed: a
	// list API may echo them in an error body.
	var secrets []string
	fail := func(err error) int {
		fmt.Fprintf(stderr, "bridge backfill: %v\n", redact(err.Error(), secrets))
		return 1
	}
	m, err := f.mapping()
	if err != nil {
		if ps := transform.DiagnosticsOf(err); len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintln(stderr, p.Error())
			}
			return fail(fmt.Errorf("%d problem(s) in the mappings", len(ps)))
		}
		return fail(err)
	}
	// The credentials are read again for each request; a missing one is
	// said before anything else is done.
	if err := m.Backfill().Authorize(http.Header{}, os.LookupEnv); err != nil {
		return fail(err)
	}
	for _, ref := range m.Backfill().SecretRefs() {
		if v, ok := os.LookupEnv(ref.Env); ok && v != "" {
			secrets = append(secrets, v)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, js, err := f.nats.connect()
	if err != nil {
		return fail(err)
	}
	defer nc.Close()

	cfg, err := checkStreams(ctx, js, f.since)
	if err != nil {
		return fail(err)
	}
	tools, err := openStoreTools(ctx, js, cfg)
	if err != nil {
		return fail(err)
	}
	defer tools.close()
	var h backfill.Handler = backfill.DryRun{Store: tools.store}
	if !f.dryRun {
		h = tools.pipeline()
	}

	announceTarget(stderr, m, f.url)
	var listed []backfill.Result
	opts := backfill.Options{
		URL: f.url, Since: time.Now().Add(-f.since), Until: f.until.t,
		Client: &http.Client{Timeout: f.timeout}, MaxPages: f.maxPages, MaxPageBytes: f.maxPageSize, ItemTimeout: f.timeout,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)),
		OnItem: func(r backfill.Result) {
			if !f.dryRun && r.Outcome != pipeline.DeadLettered {
				return
			}
			if f.asJSON {
				listed = append(listed, r)
				return
			}
			fmt.Fprintln(stdout, describeItem(r, f.dryRun))
		},
	}
	if isTerminal(stderr) {
		opts.OnPage = func(r backfill.Report) {
			fmt.Fprintf(stderr, "\r%s", r.Summary())
		}
	}
	rep, err := backfill.Run(ctx, m, h, opts)
	if opts.OnPage != nil && rep.Pages > 0 {
		fmt.Fprintln(stderr)
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		out := map[string]any{"report": rep, "summary": rep.Summary(), "items": listed}
		if err != nil {
			out["error"] = redact(err.Error(), secrets)
		}
		_ = enc.Encode(out)
	} else if err != nil {
		fmt.Fprintln(stdout, "stopped before the end: "+rep.Summary())
	} else {
		fmt.Fprintln(stdout, rep.Summary())
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// checkStreams checks bridge run's streams (never created or changed
// here) and that since stays within the idempotency horizon; it returns
// the publishing config over them.
func checkStreams(ctx context.Context, js jetstream.JetStream, since time.Duration) (publish.Config, error) {
	cfg := publish.DefaultConfig()
	cfg.ManageStreams = false
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := publish.EnsureStreams(sctx, js, cfg)
	cancel()
	if err != nil {
		return cfg, fmt.Errorf("%w (bridge run creates the streams: start it once first)", err)
	}
	return cfg, checkHorizon(ctx, js, since)
}

// announceTarget says where the credentials go, before they go there: a
// mapping file names the URL, so its edit is as sensitive as the key.
func announceTarget(stderr io.Writer, m *transform.Mapping, url string) {
	target := m.Backfill().URL
	if url != "" {
		target = url
	}
	var creds []string
	for _, ref := range m.Backfill().SecretRefs() {
		creds = append(creds, ref.Env)
	}
	if len(creds) > 0 {
		fmt.Fprintf(stderr, "bridge backfill: reading %s with %s from %s\n", target, m.Backfill().AuthHeader(), strings.Join(creds, ", "))
	} else {
		fmt.Fprintf(stderr, "bridge backfill: reading %s without credentials\n", target)
	}
}

// redact replaces each secret value in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// describeItem is one line of a dry run (every item) or of a run (each
// dead letter).
func describeItem(r backfill.Result, dryRun bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "page %d item %d: ", r.Page, r.Index)
	switch r.Outcome {
	case pipeline.Published:
		b.WriteString("new")
	case pipeline.Duplicate:
		b.WriteString("duplicate")
	case pipeline.Dropped:
		fmt.Fprintf(&b, "dropped by rule %s", r.Rule)
	case pipeline.DeadLettered:
		switch {
		case dryRun:
			b.WriteString("would dead-letter")
		case r.DeadLetterDuplicate:
			b.WriteString("dead letter (stored before)")
		default:
			b.WriteString("dead-lettered")
		}
		fmt.Fprintf(&b, " %s: %s", r.Reason, r.Error)
	default:
		fmt.Fprintf(&b, "%s: %s", r.Outcome, r.Error)
	}
	for _, ev := range r.Events {
		fmt.Fprintf(&b, " %s", ev.Type)
		if ev.ID != "" {
			fmt.Fprintf(&b, " %s", ev.ID)
		}
	}
	if r.IdempotencyKey != "" {
		fmt.Fprintf(&b, " (idempotencykey %s)", r.IdempotencyKey)
	}
	return b.String()
}

// isTerminal reports whether w is a terminal (progress is shown there
// only).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// checkHorizon refuses a --since that reaches past the idempotency
// store's horizon (its bucket's TTL): a webhook delivery older than that
// is no longer remembered, and the stream's duplicate window is minutes,
// so its event would be stored a second time.
func checkHorizon(ctx context.Context, js jetstream.JetStream, since time.Duration) error {
	h, _, _, err := idemBucket(ctx, js)
	if err != nil {
		return err
	}
	if h > 0 && since > h {
		return fmt.Errorf("--since %s reaches past the idempotency horizon (%s, the TTL of %s): an event the webhook stored before then is no longer remembered and would be stored again; backfill at most %s (bridge run's --idempotency-horizon sets it)",
			since, h, idem.DefaultBucket, h)
	}
	return nil
}
