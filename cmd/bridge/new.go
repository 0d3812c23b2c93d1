package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/scaffold"
)

var newHelp = help{name: "new", args: "PROVIDER --from FILE [--from FILE]... [flags]",
	purpose: "write a mapping file from sample payloads: a rule per event type, a fixture per sample, expected files written",
	more: `It writes DIR/PROVIDER.yaml and copies each sample to DIR/PROVIDER/, runs
the fixtures as bridge test --update does, and prints what to edit next.
The event type is the top-level string field among type, event,
event_type, eventType, action, topic, kind with the most distinct values
in the samples; samples without it share one catch-all rule. Every guess
in the file is marked TODO.
`}

// fileList collects repeated --from FILE flags.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(s string) error {
	*f = append(*f, s)
	return nil
}

// newFlags are bridge new's flags.
type newFlags struct {
	*toolFlags
	from      fileList
	signature *string
	force     *bool
}

func newNewFlags(stdout, stderr io.Writer) *newFlags {
	f := &newFlags{toolFlags: newToolFlags(&newHelp, stdout, stderr)}
	f.fs.Var(&f.from, "from", "a sample payload (JSON) of the provider (repeatable, required)")
	f.signature = f.fs.String("signature", "none", "the provider's signature scheme (docs/signatures.md); none writes a loud TODO")
	f.force = f.fs.Bool("force", false, "overwrite an existing mapping file and sample copies")
	return f
}

// runNew is `bridge new`: scaffold.Infer from the samples, scaffold.Write
// into --mappings, then the new file's fixtures in update mode.
func runNew(args []string, stdout, stderr io.Writer) int {
	f := newNewFlags(stdout, stderr)
	provider := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		provider, args = args[0], args[1:]
	}
	if err := f.fs.Parse(args); err != nil {
		return newHelp.parseError(err, f.fs, stdout, stderr)
	}
	if provider == "" && f.fs.NArg() > 0 {
		provider = f.fs.Arg(0)
		if err := f.fs.Parse(f.fs.Args()[1:]); err != nil {
			return newHelp.parseError(err, f.fs, stdout, stderr)
		}
	}
	switch {
	case provider == "":
		return newHelp.usageError(stderr, "which provider? (e.g. bridge new acme --from event.json)")
	case f.fs.NArg() > 0:
		return newHelp.usageError(stderr, "unexpected argument %q", f.fs.Arg(0))
	case len(f.from) == 0:
		return newHelp.usageError(stderr, "--from FILE is required: a sample payload of %s", provider)
	}

	var samples []scaffold.Sample
	var errs []error
	for _, name := range f.from {
		b, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		samples = append(samples, scaffold.Sample{Name: name, Body: b})
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "bridge new: %v\n", errors.Join(errs...))
		return 1
	}
	sc, err := scaffold.Infer(provider, *f.signature, samples)
	if err != nil {
		fmt.Fprintf(stderr, "bridge new: %s\n", strings.ReplaceAll(err.Error(), "\n", "\nbridge new: "))
		return 1
	}
	written, err := sc.Write(f.mappings, *f.force)
	if err != nil {
		fmt.Fprintf(stderr, "bridge new: %s\n", strings.ReplaceAll(err.Error(), "\n", "\nbridge new: "))
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d rule(s)) and %d sample(s) under %s\n",
		written[0], len(sc.Rules), len(written)-1, filepath.Join(f.mappings, provider))

	// The equivalent of bridge test --update, for the new file's fixtures.
	set, code := f.load(true, stdout)
	if set == nil {
		fmt.Fprintf(stderr, "bridge new: %s does not load (above): the files stay written; fix them and run bridge test --update\n", f.mappings)
		return code
	}
	failed := 0
	for _, r := range fixture.RunAll(set, true) {
		if r.Mapping.Provider != provider {
			continue
		}
		name := r.Mapping.Provider + "/" + r.Rule.Name
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "--- FAIL: %s (%s:%d)\n    %s\n", name, r.Mapping.File, r.Fixture.Line,
				strings.ReplaceAll(strings.TrimRight(r.Err.Error(), "\n"), "\n", "\n    "))
			continue
		}
		fmt.Fprintf(stdout, "ok   %s: wrote %s\n", name, r.Fixture.Expect)
	}
	fmt.Fprintln(stdout, "\nNext:")
	for _, todo := range sc.Todo {
		fmt.Fprintf(stdout, "  - %s\n", todo)
	}
	fmt.Fprintf(stdout, "  - bridge check --mappings %s && bridge test --mappings %s\n", f.mappings, f.mappings)
	if failed > 0 {
		return 1
	}
	return 0
}
