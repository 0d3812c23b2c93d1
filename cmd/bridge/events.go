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
	"text/tabwriter"
	"time"

	"github.com/bridge-dev/bridge/internal/eventlog"
	"github.com/bridge-dev/bridge/internal/publish"
)

// filtersText ends the help of the commands that filter events.
const filtersText = `--type is an event type or a pattern (event.stripe.>, event.*.payments.>);
--since a duration (90m, 24h, 7d); --entity an entity (charge/ch_1) or its
id (ch_1).
`

var (
	eventsHelp = help{name: "events", args: "list|get [flags]",
		purpose: "read the stored events (the EVENTS stream) without other tools",
		more: `  bridge events list      the stored events, the oldest first
  bridge events get ID    one event by its id
  bridge tail             follow new events

bridge help events list, bridge help events get and bridge help tail show their flags.
`}
	eventsListHelp = help{name: "events list", args: "[flags]",
		purpose: "list the stored events, the oldest first",
		more:    filtersText + natsSettingsText}
	eventsGetHelp = help{name: "events get", args: "ID [flags]",
		purpose: "print one stored event, found by its id",
		more:    natsSettingsText}
	tailHelp = help{name: "tail", args: "[flags]",
		purpose: "print each event as it is stored, until interrupted",
		more:    filtersText + natsSettingsText}
)

// sinceValue is a --since duration: Go's (90m, 24h) or whole days (7d).
type sinceValue struct{ d *time.Duration }

func (s sinceValue) String() string {
	if s.d == nil || *s.d == 0 {
		return ""
	}
	return s.d.String()
}

func (s sinceValue) Set(v string) error {
	d, err := eventlog.ParseSince(v)
	*s.d = d
	return err
}

// eventsFlags are the flags of events list, events get and tail.
type eventsFlags struct {
	fs             *flag.FlagSet
	help           *help
	stdout, stderr io.Writer
	nats           *natsFlags
	filter         eventlog.Filter
	asJSON         bool
}

func newEventsFlags(h *help, stdout, stderr io.Writer) *eventsFlags {
	f := &eventsFlags{fs: h.newFlagSet(), help: h, stdout: stdout, stderr: stderr}
	if h != &eventsGetHelp {
		f.fs.StringVar(&f.filter.Type, "type", "", "only events of this type or pattern (event.stripe.>)")
		f.fs.Var(sinceValue{&f.filter.Since}, "since", "only events stored within this long (90m, 24h, 7d)")
		f.fs.StringVar(&f.filter.Entity, "entity", "", "only events of this entity (charge/ch_1) or entity id (ch_1)")
	}
	if h == &eventsListHelp {
		f.fs.IntVar(&f.filter.Limit, "limit", eventlog.DefaultLimit, fmt.Sprintf("at most this many events, the oldest first (at most %d)", eventlog.MaxLimit))
	}
	if h != &tailHelp {
		f.fs.BoolVar(&f.asJSON, "json", false, "print JSON (list: one event per line)")
	}
	f.nats = addNATSFlags(f.fs)
	return f
}

// parse returns the exit code to stop with, or -1 to go on; args are the
// positional arguments, which may come before or after the flags.
func (f *eventsFlags) parse(args []string, positional int) ([]string, int) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, f.help.parseError(err, f.fs, f.stdout, f.stderr)
		}
		if f.fs.NArg() == 0 {
			break
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	switch {
	case len(pos) == positional:
	case positional == 0:
		return nil, f.help.usageError(f.stderr, "unexpected argument %q", pos[0])
	case len(pos) == 0:
		return nil, f.help.usageError(f.stderr, "the event's id is missing")
	default:
		return nil, f.help.usageError(f.stderr, "takes one event id, got %q", pos)
	}
	if err := f.filter.Validate(); err != nil {
		return nil, f.help.usageError(f.stderr, "%s", flagNames(err, "type", "since", "limit"))
	}
	return pos, -1
}

// flagNames turns a filter's field names in err into the flags that set them.
func flagNames(err error, names ...string) string {
	s := err.Error()
	for _, name := range names {
		s = strings.ReplaceAll(s, name+" ", "--"+name+" ")
	}
	return s
}

func (f *eventsFlags) reader() (*eventlog.Reader, func(), error) {
	nc, js, err := f.nats.connect()
	if err != nil {
		return nil, nil, err
	}
	return eventlog.NewReader(js, publish.DefaultStream), nc.Close, nil
}

// runEvents is `bridge events list|get`.
func runEvents(args []string, stdout, stderr io.Writer) int {
	return eventsHelp.subcommand(args, map[string]func([]string) int{
		"list": func(a []string) int { return runEventsList(a, stdout, stderr) },
		"get":  func(a []string) int { return runEventsGet(a, stdout, stderr) },
	}, stdout, stderr)
}

func runEventsList(args []string, stdout, stderr io.Writer) int {
	f := newEventsFlags(&eventsListHelp, stdout, stderr)
	if _, code := f.parse(args, 0); code >= 0 {
		return code
	}
	r, closeConn, err := f.reader()
	if err != nil {
		fmt.Fprintf(stderr, "bridge events list: %v\n", err)
		return 1
	}
	defer closeConn()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	events, err := r.List(ctx, f.filter)
	if err != nil {
		fmt.Fprintf(stderr, "bridge events list: %v\n", err)
		return 1
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range events {
			_ = enc.Encode(e)
		}
		return 0
	}
	if len(events) == 0 {
		fmt.Fprintln(stdout, "no stored event matches")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tSTORED\tTYPE\tSUBJECT\tID")
	for _, e := range events {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.StoredAt.UTC().Format(time.RFC3339), e.Event.Type(), e.Event.Subject(), e.Event.ID())
	}
	_ = tw.Flush()
	if len(events) == limitOf(f.filter) {
		fmt.Fprintf(stdout, "(the first %d; --limit or a filter shows others)\n", len(events))
	}
	return 0
}

func limitOf(f eventlog.Filter) int {
	if f.Limit == 0 {
		return eventlog.DefaultLimit
	}
	return f.Limit
}

func runEventsGet(args []string, stdout, stderr io.Writer) int {
	f := newEventsFlags(&eventsGetHelp, stdout, stderr)
	pos, code := f.parse(args, 1)
	if code >= 0 {
		return code
	}
	r, closeConn, err := f.reader()
	if err != nil {
		fmt.Fprintf(stderr, "bridge events get: %v\n", err)
		return 1
	}
	defer closeConn()
	e, err := r.Get(context.Background(), pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "bridge events get: %v\n", err)
		return 1
	}
	return printEvent(stdout, e, !f.asJSON)
}

// printEvent writes e as JSON, indented when pretty.
func printEvent(w io.Writer, e eventlog.Event, pretty bool) int {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(e); err != nil {
		fmt.Fprintf(os.Stderr, "bridge: %v\n", err)
		return 1
	}
	return 0
}

// runTail is `bridge tail`: print each event as it is stored, until
// interrupted.
func runTail(args []string, stdout, stderr io.Writer) int {
	f := newEventsFlags(&tailHelp, stdout, stderr)
	if _, code := f.parse(args, 0); code >= 0 {
		return code
	}
	r, closeConn, err := f.reader()
	if err != nil {
		fmt.Fprintf(stderr, "bridge tail: %v\n", err)
		return 1
	}
	defer closeConn()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	err = r.Follow(ctx, f.filter, func(e eventlog.Event) error {
		if printEvent(stdout, e, true) != 0 {
			return errors.New("cannot write")
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "bridge tail: %v\n", err)
		return 1
	}
	return 0
}
