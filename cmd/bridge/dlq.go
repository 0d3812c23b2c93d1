package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/deadletter/replay"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/bridge-dev/bridge/internal/transform"
)

// natsSettingsText ends the help of the commands that read the bridge's streams.
const natsSettingsText = `The NATS settings are bridge run's (flags, BRIDGE_* variables, --config or
BRIDGE_CONFIG); without any, the embedded server a local bridge run starts.
`

var (
	dlqHelp = help{name: "dlq", args: "list|replay [flags]",
		purpose: "list the dead letters (EVENTS_DLQ), or map them again with the current mappings",
		more: `  bridge dlq list    the dead letters, bodies with each mapping file's redact paths blanked
  bridge dlq replay  map them again: delete those now stored or dropped, rewrite those
                     failing for a new reason

bridge help dlq list and bridge help dlq replay show their flags.
`}
	dlqListHelp = help{name: "dlq list", args: "[flags]",
		purpose: "list the dead letters, the oldest first, bodies with each mapping file's redact paths blanked",
		more:    natsSettingsText}
	dlqReplayHelp = help{name: "dlq replay", args: "[flags]",
		purpose: "map the dead letters again with the current mappings: delete those now stored or dropped, rewrite those failing for a new reason",
		more:    natsSettingsText}
)

// bodyPreview is how much of a body `dlq list` shows.
const bodyPreview = 120

// runDLQ is `bridge dlq list|replay`.
func runDLQ(args []string, stdout, stderr io.Writer) int {
	return dlqHelp.subcommand(args, map[string]func([]string) int{
		"list":   func(a []string) int { return runDLQList(a, stdout, stderr) },
		"replay": func(a []string) int { return runDLQReplay(a, stdout, stderr) },
	}, stdout, stderr)
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

func newDLQFlags(h *help, limit int, stdout, stderr io.Writer) *dlqFlags {
	f := &dlqFlags{toolFlags: newToolFlags(h, stdout, stderr)}
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
		return f.help.usageError(f.stderr, "%s", flagNames(err, "provider", "reason", "since", "limit"))
	}
	cfg, err := f.nats.resolve()
	if err != nil {
		return f.help.usageError(f.stderr, "%v", err)
	}
	f.dirsFromConfig(cfg)
	return -1
}

// connect dials NATS, failing at once when no server answers.
func (f *dlqFlags) connect() (*nats.Conn, jetstream.JetStream, error) {
	return f.nats.connect()
}

// runDLQList is `bridge dlq list`.
func runDLQList(args []string, stdout, stderr io.Writer) int {
	f := newDLQFlags(&dlqListHelp, 100, stdout, stderr)
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

// dlqReplayFlags are bridge dlq replay's flags.
type dlqReplayFlags struct {
	*dlqFlags
	dryRun  *bool
	timeout *time.Duration
}

func newDLQReplayFlags(stdout, stderr io.Writer) dlqReplayFlags {
	f := newDLQFlags(&dlqReplayHelp, 0, stdout, stderr)
	return dlqReplayFlags{f,
		f.fs.Bool("dry-run", false, "print what would become of each dead letter; change nothing"),
		f.fs.Duration("timeout", replay.DefaultTimeout, "how long to try to store each dead letter's outcome")}
}

// runDLQReplay is `bridge dlq replay`.
func runDLQReplay(args []string, stdout, stderr io.Writer) int {
	rf := newDLQReplayFlags(stdout, stderr)
	f, dryRun, timeout := rf.dlqFlags, rf.dryRun, rf.timeout
	if code := f.parse(args); code >= 0 {
		return code
	}
	set, code := f.load(true, stderr)
	if set == nil {
		return code
	}
	tools, err := connectStoreTools(f.nats)
	if err != nil {
		fmt.Fprintf(stderr, "bridge dlq replay: %v\n", err)
		return 1
	}
	defer tools.close()
	ctx, js, cfg := tools.ctx, tools.js, tools.cfg
	var pipe *pipeline.Runner
	if !*dryRun {
		pipe = tools.pipeline()
	}
	r := &replay.Replayer{Stream: deadletter.NewStream(js, cfg), Mappings: set, Pipeline: pipe, DeadLetters: tools.dead, Timeout: *timeout}
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
