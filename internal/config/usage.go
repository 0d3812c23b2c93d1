package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printUsage lists every setting with its flag, environment variable and
// default, for fs.Usage.
func printUsage(w io.Writer, name string, settings []Setting) {
	fmt.Fprintf(w, "Usage of %s:\n", name)
	fmt.Fprintln(w, "Each setting is taken from its flag, else its environment variable, else")
	fmt.Fprintln(w, "the config file, else its default. See docs/configuration.md.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tENV\tDEFAULT\tMEANING")
	for _, s := range settings {
		def := s.Default
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(tw, "  --%s %s\t%s\t%s\t%s\n", s.Flag, s.Arg, s.Env, def, s.Usage)
	}
	tw.Flush()
}
