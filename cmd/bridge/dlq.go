package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/deadletter/replay"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

const dlqUsage = `Usage:
  bridge dlq list   [--provider P] [--reason R] [--since D] [--limit N] [--json] [--nats-url URL] [--mappings DIR]
  bridge dlq replay [--provider P] [--reason R] [--since D] [--limit N] [--dry-run] [--json] [--nats-url URL] [--mappings DIR] [--schemas DIR]

list shows the dead letters, bodies with each mapping file's redact paths
blanked; replay maps them again with the current mappings, deletes those
now stored or dropped, and rewrites those failing for a new reason.
`

// bodyPreview is how much of a body `dlq list` shows.
const bodyPreview = 120

// runDLQ is `bridge dlq list|replay`.
func runDLQ(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, dlqUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return runDLQList(args[1:], stdout, stderr)
	case "replay":
		return runDLQReplay(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, dlqUsage)
		return 0
	}
	fmt.Fprintf(stderr, "bridge dlq: unknown command %q\n\n%s", args[0], dlqUsage)
	return 2
}

// dlqFlags are the flags of both dlq commands.
type dlqFlags struct {
	*toolFlags
	filter deadletter.Filter
	asJSON bool
	// nats are bridge run's NATS settings, resolved as it resolves them
	// (flags, BRIDGE_* variables, --config or BRIDGE_CONFIG).
	nats *natsFlags
}

func newDLQFlags(name string, limit int, stderr io.Writer) *dlqFlags {
	f := &dlqFlags{toolFlags: newToolFlags("dlq "+name, stderr)}
	f.fs.StringVar(&f.filter.Provider, "provider", "", "only this provider's dead letters")
	reasons := make([]string, 0, len(deadletter.Reasons()))
	for _, r := range deadletter.Reasons() {
		reasons = append(reasons, string(r))
	}
	f.fs.StringVar(&f.filter.Reason, "reason", "", "only dead letters of this reason ("+strings.Join(reasons, ", ")+")")
	f.fs.Var(sinceValue{&f.filter.Since}, "since", "only dead letters received within this long (90m, 24h, 7d)")
	f.fs.IntVar(&f.filter.Limit, "limit", limit, "at most this many dead letters, the oldest first (0: no limit)")
	f.fs.BoolVar(&f.asJSON, "json", false, "print JSON")
	f.nats = addNATSFlags(f.fs)
	return f
}

// parse returns the exit code to stop with, or -1 to go on. The mapping
// and schema directories not given by flag or variable come from the
// config file, as bridge run reads them.
func (f *dlqFlags) parse(args []string) int {
	if code := f.toolFlags.parse(args); code >= 0 {
		return code
	}
	if err := f.filter.Validate(); err != nil {
		fmt.Fprintf(f.fs.Output(), "%s: %v\n", f.fs.Name(), err)
		return 2
	}
	cfg, err := f.nats.resolve()
	if err != nil {
		fmt.Fprintf(f.fs.Output(), "%s: %v\n", f.fs.Name(), err)
		return 2
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["mappings"] && os.Getenv("BRIDGE_MAPPINGS") == "" {
		f.mappings = cfg.Mappings
	}
	if !given["schemas"] && os.Getenv("BRIDGE_SCHEMAS") == "" {
		f.schemas = cfg.Schemas
	}
	return -1
}

// connect dials NATS, failing at once when no server answers.
func (f *dlqFlags) connect() (*nats.Conn, jetstream.JetStream, error) {
	return f.nats.connect()
}

// runDLQList is `bridge dlq list`.
func runDLQList(args []string, stdout, stderr io.Writer) int {
	f := newDLQFlags("list", 100, stderr)
	if code := f.parse(args); code >= 0 {
		return code
	}
	// The mappings only say what to redact; without them no body is shown.
	set, err := transform.Load(f.mappings, transform.Options{SchemasDir: f.schemas, PlaceholderSecrets: true})
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq list: bodies hidden, their redact paths are unknown: %v\n", err)
		set = nil
	}
	nc, js, err := f.connect()
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq list: %v\n", err)
		return 1
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	letters, err := deadletter.NewStream(js, publish.DefaultConfig()).List(ctx, f.filter)
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq list: %v\n", err)
		return 1
	}
	views := replay.Show(letters, set)
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"dead_letters": views})
		return 0
	}
	for _, v := range views {
		rule := v.Rule
		if rule == "" {
			rule = "-"
		}
		fmt.Fprintf(stdout, "#%d  %s  %s  %s  rule %s  %s\n", v.Seq, v.ReceivedAt.UTC().Format(time.RFC3339), v.Provider, v.Reason, rule, v.File)
		if v.Error != "" {
			fmt.Fprintf(stdout, "    error: %s\n", v.Error)
		}
		if v.BodyHidden != "" {
			fmt.Fprintf(stdout, "    body:  (%d bytes, hidden: %s)\n", v.BodyBytes, v.BodyHidden)
		} else {
			fmt.Fprintf(stdout, "    body:  %s\n", deadletter.Preview([]byte(v.Body), bodyPreview))
		}
	}
	fmt.Fprintf(stdout, "%d dead letter(s)\n", len(views))
	return 0
}

// runDLQReplay is `bridge dlq replay`.
func runDLQReplay(args []string, stdout, stderr io.Writer) int {
	f := newDLQFlags("replay", 0, stderr)
	dryRun := f.fs.Bool("dry-run", false, "print what would become of each dead letter; change nothing")
	timeout := f.fs.Duration("timeout", replay.DefaultTimeout, "how long to try to store each dead letter's outcome")
	if code := f.parse(args); code >= 0 {
		return code
	}
	set, code := f.load(true, stderr)
	if set == nil {
		return code
	}
	nc, js, err := f.connect()
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
		return 1
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := publish.DefaultConfig()
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
		return 1
	}
	dead, err := deadletter.NewWriter(pub, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
		return 1
	}
	var pipe *pipeline.Runner
	if !*dryRun {
		store, err := openIdemStore(ctx, js)
		if err != nil {
			fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
			return 1
		}
		pipe = pipeline.New(pub, pipeline.Options{Dedupe: store, DeadLetters: dead})
	}
	r := &replay.Replayer{Stream: deadletter.NewStream(js, cfg), Mappings: set, Pipeline: pipe, DeadLetters: dead, Timeout: *timeout}
	rep, err := r.Replay(ctx, f.filter, *dryRun)
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		for _, res := range rep.Results {
			fmt.Fprintln(stdout, describeResult(res, rep.DryRun))
		}
		fmt.Fprintln(stdout, rep.Summary())
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
	}
	if !rep.Done() {
		return 1
	}
	return 0
}

// describeResult is one line of `dlq replay`: the dead letter, its old
// reason, what became of it (or would in a dry run) and its event(s).
func describeResult(r replay.Result, dryRun bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s -> ", r.Seq, r.Provider, r.Reason)
	would := func(now, dry string) {
		if dryRun {
			b.WriteString(dry)
		} else {
			b.WriteString(now)
		}
	}
	switch r.Outcome {
	case replay.Published, replay.Duplicate:
		would(string(r.Outcome), "would publish")
		for _, ev := range r.Events {
			id := ev.ID
			if id == "" {
				id = "idempotencykey " + ev.IdempotencyKey
			}
			fmt.Fprintf(&b, " %s %s", ev.Type, id)
		}
		if len(r.Events) == 0 {
			b.WriteString(" (no events)")
		}
	case replay.Dropped:
		would("dropped", "would drop")
		fmt.Fprintf(&b, " (rule %s)", r.Rule)
	case replay.Rewritten:
		would(fmt.Sprintf("rewritten as %s (#%d)", r.NewReason, r.NewSeq), "would rewrite as "+string(r.NewReason))
		fmt.Fprintf(&b, ": %s", r.Error)
	case replay.Kept:
		would("kept, still "+string(r.NewReason), "would keep, still "+string(r.NewReason))
		fmt.Fprintf(&b, ": %s", r.Error)
	default:
		fmt.Fprintf(&b, "%s: %s", r.Outcome, r.Error)
	}
	return b.String()
}

// openIdemStore opens the daemon's idempotency bucket with the horizon and
// replicas it already has, so a replay changes none of its settings; a
// bucket not made yet gets the defaults, as `bridge run` would give it.
func openIdemStore(ctx context.Context, js jetstream.JetStream) (*idem.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := idem.StoreConfig{Bucket: idem.DefaultBucket, Replicas: 1, Horizon: idem.DefaultHorizon}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	switch {
	case err == nil:
		st, err := kv.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("idempotency bucket %s: %w", cfg.Bucket, err)
		}
		if st.TTL() > 0 {
			cfg.Horizon = st.TTL()
		}
		if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok && bs.StreamInfo().Config.Replicas > 0 {
			cfg.Replicas = bs.StreamInfo().Config.Replicas
		}
	case !errors.Is(err, jetstream.ErrBucketNotFound):
		return nil, fmt.Errorf("idempotency bucket %s: %w", cfg.Bucket, err)
	}
	// A one-off replay gains nothing from watching every key of the bucket.
	cfg.CacheKeys = 0
	return idem.OpenStore(ctx, js, cfg)
}
