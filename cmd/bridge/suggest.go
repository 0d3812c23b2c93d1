package main

import (
	"flag"
	"strings"
)

// commands are bridge's subcommands, for "did you mean".
var commands = []string{"run", "check", "test", "map", "catalog", "dlq", "send", "version", "help"}

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

// closest is the candidate nearest to s, if one is near enough to be what
// was meant: at most two edits away, or a prefix of at least two letters.
func closest(s string, candidates []string) (string, bool) {
	best, bestD := "", 3
	for _, c := range candidates {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			return c, true
		}
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
	if c, ok := closest(name, names); ok {
		return "did you mean --" + c + "?"
	}
	return ""
}
