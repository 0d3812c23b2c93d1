package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/suggest"
)

// help is one command's help (`bridge CMD -h`, `bridge help CMD`), in the
// one format of every command: "bridge CMD: purpose", the usage line, the
// table of flags (config.WriteUsageTable, as bridge run's settings), then
// any more text.
type help struct {
	name    string   // "dlq list"
	purpose string   // one line
	args    string   // the usage line after "bridge NAME"
	more    string   // text after the flags
	also    []string // bridge run settings the command reads that its FlagSet does not define
}

// mirrored are the tools' flags that are bridge run's settings: their help
// shows the setting's variable and default.
var mirrored = append([]string{"config", "mappings", "schemas"}, natsSettingFlags...)

// flagArgs are the value placeholders of the flags that are not settings.
var flagArgs = map[string]string{
	"provider": "P", "reason": "R", "since": "D", "limit": "N", "type": "T", "entity": "E",
	"format": "yaml|json", "url": "URL", "name": "N", "version": "V", "flow-id": "F", "id": "ID",
	"timeout": "DURATION", "content-type": "TYPE", "H": `"Name: value"`, "token": "TOKEN",
	"from": "FILE", "signature": "SCHEME", "from-seq": "N",
	"until": "T", "max-pages": "N", "max-page-bytes": "BYTES",
}

// newFlagSet is a FlagSet for h: its parse errors are returned, not
// printed (parseError prints them), and help is printed by parseError.
func (h *help) newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("bridge "+h.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// usageLine is "Usage: bridge NAME ARGS".
func (h *help) usageLine() string {
	return strings.TrimSpace("Usage: bridge " + h.name + " " + h.args)
}

// write prints h with rows as its table of flags (none: no table).
func (h *help) write(w io.Writer, rows []config.Setting) {
	fmt.Fprintf(w, "bridge %s: %s\n%s\n", h.name, h.purpose, h.usageLine())
	if len(rows) > 0 {
		fmt.Fprintln(w)
		config.WriteUsageTable(w, rows)
	}
	if h.more != "" {
		fmt.Fprintf(w, "\n%s", h.more)
	}
}

// rows are the help table's rows for the flags of fs (nil: none), by name,
// then h.also's settings. A flag that is a bridge run setting shows the
// setting's variable, default and placeholder.
func (h *help) rows(fs *flag.FlagSet) []config.Setting {
	settings := map[string]config.Setting{}
	for _, s := range config.Settings() {
		settings[s.Flag] = s
	}
	var rows []config.Setting
	if fs != nil {
		fs.VisitAll(func(f *flag.Flag) {
			if s, ok := settings[f.Name]; ok && slices.Contains(mirrored, f.Name) {
				s.Usage = f.Usage
				rows = append(rows, s)
				return
			}
			name, usage := flag.UnquoteUsage(f)
			arg := flagArgs[f.Name]
			if arg == "" && name != "" {
				arg = strings.ToUpper(name)
			}
			rows = append(rows, config.Setting{Flag: f.Name, Arg: arg, Default: f.DefValue, Usage: usage})
		})
	}
	for _, name := range h.also {
		rows = append(rows, settings[name])
	}
	return rows
}

// parseError answers fs.Parse's error: asked-for help on stdout, exit 0;
// anything else a usage error on stderr, exit 2.
func (h *help) parseError(err error, fs *flag.FlagSet, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		h.write(stdout, h.rows(fs))
		return 0
	}
	return h.usageError(stderr, "%s%s", flagError(err), flagSuggestion(fs, err))
}

// flagError is a flag package error with its flags written as the help
// writes them: "flag provided but not defined: --x", "invalid value "y"
// for flag --x: ...".
func flagError(err error) string {
	s := err.Error()
	for _, prefix := range []string{"not defined: -", "for flag -", "needs an argument: -"} {
		s = strings.Replace(s, prefix, prefix+"-", 1)
	}
	return s
}

// usageError prints the problem and the usage line on stderr and returns
// 2, the exit code of a usage error.
func (h *help) usageError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "bridge %s: %s\n%s (see bridge help %s)\n", h.name, fmt.Sprintf(format, a...), h.usageLine(), h.name)
	return 2
}

// helps are the commands' helps, in the order `bridge help` lists them.
var helps = []*help{&runHelp, &checkHelp, &testHelp, &mapHelp, &catalogHelp, &newHelp, &asyncAPIHelp,
	&dlqHelp, &dlqListHelp, &dlqReplayHelp, &remapHelp, &backfillHelp, &eventsHelp, &eventsListHelp, &eventsGetHelp, &tailHelp,
	&sendHelp, &healthHelp, &versionHelp, &completionHelp, &helpHelp}

var (
	versionHelp = help{name: "version", purpose: "print the version, commit and Go version"}
	helpHelp    = help{name: "help", purpose: "list the commands, or show one command's help (as CMD -h)", args: "[CMD]"}
)

// writeUsage is `bridge help`: every command and its purpose.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, "bridge turns providers' webhooks into CloudEvents stored in NATS JetStream.\n\n")
	fmt.Fprint(w, "Usage: bridge CMD [args]; bridge help CMD (or bridge CMD -h) shows CMD's flags.\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, h := range helps {
		fmt.Fprintf(tw, "  bridge %s\t%s\n", h.name, h.purpose)
	}
	tw.Flush()
	fmt.Fprint(w, "\nExit codes: 0 done, 1 the work found a problem, 2 a usage error.\n")
}

// subcommand dispatches `bridge NAME SUB ...` (dlq, events) to subs, and
// answers help and unknown subcommands in the same voice.
func (h *help) subcommand(args []string, subs map[string]func([]string) int, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return h.usageError(stderr, "which command? %s", strings.Join(subcommands[h.name], " or "))
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:])
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		h.write(stdout, nil)
		return 0
	}
	hint := ""
	if c, ok := suggest.Closest(args[0], subcommands[h.name]); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	return h.usageError(stderr, "unknown command %q%s", args[0], hint)
}

// noArgs is the parse of a command without flags or arguments (version).
func (h *help) noArgs(args []string, stdout, stderr io.Writer) int {
	fs := h.newFlagSet()
	if err := fs.Parse(args); err != nil {
		return h.parseError(err, fs, stdout, stderr)
	}
	if fs.NArg() > 0 {
		return h.usageError(stderr, "unexpected argument %q", fs.Arg(0))
	}
	return -1
}
