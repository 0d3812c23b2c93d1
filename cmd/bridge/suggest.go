package main

import (
	"flag"
	"strings"

	"github.com/bridge-dev/bridge/internal/suggest"
)

// commands are bridge's subcommands, for "did you mean".
var commands = []string{"run", "check", "test", "map", "catalog", "asyncapi", "dlq", "events", "tail", "send", "health", "version", "completion", "help"}

// wantsHelp reports whether args ask for a command's help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// flagSuggestion is " (did you mean --x?)" for a flag.Parse error about a
// flag fs does not define, when one of its flags is near; else "".
func flagSuggestion(fs *flag.FlagSet, err error) string {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, undefined) {
		return ""
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if c, ok := suggest.Closest(name, names); ok {
		return "did you mean --" + c + "?"
	}
	return ""
}
