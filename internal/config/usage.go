package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printUsage lists every setting with its flag, environment variable and
// default, for fs.Usage.
func printUsage(w io.Writer, name string, settings []Setting) {
	fmt.Fprintf(w, "Usage of %s:\n", name)
	fmt.Fprintln(w, "Each setting is taken from its flag, else its environment variable, else")
	fmt.Fprintln(w, "the config file, else its default. See docs/configuration.md.")
	fmt.Fprintln(w)
	WriteUsageTable(w, settings)
}

// WriteUsageTable writes rows as the help's table of flags: FLAG (with its
// Arg), ENV (empty when it has none), DEFAULT ("none" when empty) and
// MEANING; every bridge command's help uses it. A one-letter flag shows
// one dash (-H).
func WriteUsageTable(w io.Writer, rows []Setting) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tENV\tDEFAULT\tMEANING")
	for _, s := range rows {
		def := s.Default
		if def == "" {
			def = "none"
		}
		dashes := "--"
		if len(s.Flag) == 1 {
			dashes = "-" // -H
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", strings.TrimSpace(dashes+s.Flag+" "+s.Arg), s.Env, def, s.Usage)
	}
	tw.Flush()
}
