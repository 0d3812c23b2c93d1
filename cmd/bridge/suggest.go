package main

import (
	"flag"
	"strings"

	"github.com/bridge-dev/bridge/internal/suggest"
)

// commands are bridge's subcommands, for "did you mean". Ties go to the
// earlier one: "new" comes late so that "sned" still suggests "send".
var commands = []string{"run", "check", "test", "map", "catalog", "asyncapi", "dlq", "remap", "backfill", "events", "tail", "send", "health", "version", "completion", "new", "help"}

// flagSuggestion is " (did you mean --x?)" for a flag.Parse error about a
// flag fs (or the extra names) does not define, when one of them is near;
// else "".
func flagSuggestion(fs *flag.FlagSet, err error, extra ...string) string {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, undefined) {
		return ""
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
	names := append([]string(nil), extra...)
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if c, ok := suggest.Closest(name, names); ok {
		return " (did you mean --" + c + "?)"
	}
	return ""
}
