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

const eventsUsage = `bridge events: read the stored events (the EVENTS stream) without other tools

Usage:
  bridge events list [--type T] [--since D] [--entity E] [--limit N] [--json] [NATS settings]
  bridge events get  ID [--json] [NATS settings]
  bridge tail        [--type T] [--since D] [--entity E] [NATS settings]   follow new events

--type is an event type or a pattern (event.stripe.>, event.*.payments.>);
--since a duration (90m, 24h, 7d); --entity an entity (charge/ch_1) or its
id (ch_1). The NATS settings are bridge run's (--nats-url, --config, ...,
and their BRIDGE_* variables); without any, the embedded server a local
bridge run starts. See bridge events list -h.
`

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
	fs     *flag.FlagSet
	nats   *natsFlags
	filter eventlog.Filter
	asJSON bool
}

func newEventsFlags(name string, stderr io.Writer, filters bool) *eventsFlags {
	f := &eventsFlags{fs: flag.NewFlagSet("bridge "+name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	if filters {
		f.fs.StringVar(&f.filter.Type, "type", "", "only events of this type or pattern (event.stripe.>)")
		f.fs.Var(sinceValue{&f.filter.Since}, "since", "only events stored within this long (90m, 24h, 7d)")
		f.fs.StringVar(&f.filter.Entity, "entity", "", "only events of this entity (charge/ch_1) or entity id (ch_1)")
	}
	if name == "events list" {
		f.fs.IntVar(&f.filter.Limit, "limit", eventlog.DefaultLimit, fmt.Sprintf("at most this many events, the oldest first (at most %d)", eventlog.MaxLimit))
	}
	if name != "tail" {
		f.fs.BoolVar(&f.asJSON, "json", false, "print JSON (list: one event per line)")
	}
	f.nats = addNATSFlags(f.fs)
	f.fs.Usage = func() {
		fmt.Fprint(f.fs.Output(), eventsUsage, "\nFlags of bridge ", name, ":\n")
		f.fs.PrintDefaults()
	}
	return f
}

// parse returns the exit code to stop with, or -1 to go on; args are the
// positional arguments, which may come before or after the flags.
func (f *eventsFlags) parse(args []string, positional int) ([]string, int) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			if s := flagSuggestion(f.fs, err); s != "" {
				fmt.Fprintln(f.fs.Output(), s)
			}
			return nil, 2
		}
		if f.fs.NArg() == 0 {
			break
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	if len(pos) != positional {
		fmt.Fprintf(f.fs.Output(), "%s: takes %d argument(s), got %d %q\n\n", f.fs.Name(), positional, len(pos), pos)
		f.fs.Usage()
		return nil, 2
	}
	if err := f.filter.Validate(); err != nil {
		fmt.Fprintf(f.fs.Output(), "%s: %v\n", f.fs.Name(), flagNames(err))
		return nil, 2
	}
	return pos, -1
}

// flagNames turns eventlog's field names into the flags that set them.
func flagNames(err error) string {
	s := err.Error()
	for _, name := range []string{"type", "since", "limit"} {
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
	if len(args) == 0 {
		fmt.Fprint(stderr, eventsUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return runEventsList(args[1:], stdout, stderr)
	case "get":
		return runEventsGet(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, eventsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "bridge events: unknown command %q\n\n%s", args[0], eventsUsage)
	return 2
}

func runEventsList(args []string, stdout, stderr io.Writer) int {
	f := newEventsFlags("events list", stderr, true)
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
	f := newEventsFlags("events get", stderr, false)
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
	f := newEventsFlags("tail", stderr, true)
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
