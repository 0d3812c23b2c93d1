package main

import (
	"bytes"
	"flag"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
)

// helpCommands are every command's words and the FlagSet it parses, built
// by the same constructors the command uses.
func helpCommands() []struct {
	words []string
	flags *flag.FlagSet
} {
	d := io.Discard
	runFlags := flag.NewFlagSet("bridge run", flag.ContinueOnError)
	runFlags.SetOutput(d)
	_, _ = config.Load(runFlags, []string{"-h"}, func(string) (string, bool) { return "", false })
	return []struct {
		words []string
		flags *flag.FlagSet
	}{
		{[]string{"run"}, runFlags},
		{[]string{"check"}, newToolFlags(&checkHelp, d, d).fs},
		{[]string{"test"}, newTestFlags(d, d).fs},
		{[]string{"map"}, newMapFlags(d, d).fs},
		{[]string{"catalog"}, newCatalogFlags(d, d).fs},
		{[]string{"new"}, newNewFlags(d, d).fs},
		{[]string{"asyncapi"}, newAsyncAPIFlags(d, d).fs},
		{[]string{"dlq", "list"}, newDLQFlags(&dlqListHelp, 100, d, d).fs},
		{[]string{"dlq", "replay"}, newDLQReplayFlags(d, d).fs},
		{[]string{"events", "list"}, newEventsFlags(&eventsListHelp, d, d).fs},
		{[]string{"events", "get"}, newEventsFlags(&eventsGetHelp, d, d).fs},
		{[]string{"tail"}, newEventsFlags(&tailHelp, d, d).fs},
		{[]string{"send"}, newSendFlags().fs},
		{[]string{"health"}, newHealthFlags().fs},
		{[]string{"completion"}, completionHelp.newFlagSet()},
		{[]string{"version"}, versionHelp.newFlagSet()},
		{[]string{"help"}, helpHelp.newFlagSet()},
		{[]string{"dlq"}, nil},
		{[]string{"events"}, nil},
	}
}

// helpRow is one row of a help's table of flags.
type helpRow struct{ flag, env, def string }

var tableHeader = regexp.MustCompile(`(?m)^  FLAG +ENV +DEFAULT +MEANING$`)

// helpTable reads the table of flags of a help text, by the columns of its
// header, keyed by flag name.
func helpTable(t *testing.T, text string) map[string]helpRow {
	t.Helper()
	loc := tableHeader.FindStringIndex(text)
	if loc == nil {
		return nil
	}
	header := text[loc[0]:loc[1]]
	env, def, meaning := strings.Index(header, "ENV"), strings.Index(header, "DEFAULT"), strings.Index(header, "MEANING")
	rows := map[string]helpRow{}
	for line := range strings.Lines(text[loc[1]+1:]) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if len(line) <= meaning {
			t.Fatalf("table row %q is shorter than its header", line)
		}
		flagCol := strings.Fields(line[:env])
		if len(flagCol) == 0 || !strings.HasPrefix(flagCol[0], "-") {
			t.Fatalf("table row %q does not start with a flag", line)
		}
		name := strings.TrimLeft(flagCol[0], "-")
		rows[name] = helpRow{flag: flagCol[0], env: strings.TrimSpace(line[env:def]), def: strings.TrimSpace(line[def:meaning])}
	}
	return rows
}

// isSetting reports whether a tool's flag is one of bridge run's settings,
// whose help shows the setting's variable and default.
func isSetting(cmd, name string) bool {
	return cmd == "run" || name == "config" || name == "mappings" || name == "schemas" || strings.HasPrefix(name, "nats-")
}

// TestHelpOfEveryCommand: every command's -h is on stdout with exit 0, in
// the one format (purpose line, Usage line, the table of every flag its
// FlagSet defines with its variable and default); an unknown flag is a
// usage error on stderr, exit 2, with the usage line and not the table, and
// "did you mean" when a flag is near.
func TestHelpOfEveryCommand(t *testing.T) {
	settings := map[string]config.Setting{}
	for _, s := range config.Settings() {
		settings[s.Flag] = s
	}
	for _, tc := range helpCommands() {
		name := strings.Join(tc.words, " ")
		t.Run(name, func(t *testing.T) {
			for _, ask := range [][]string{append(tc.words[:len(tc.words):len(tc.words)], "-h"), append([]string{"help"}, tc.words...)} {
				var out, errOut bytes.Buffer
				code := run(ask, nil, &out, &errOut)
				help := out.String()
				if code != 0 || errOut.Len() > 0 {
					t.Fatalf("bridge %v: exit %d, stderr %q; want 0 and help on stdout", ask, code, errOut.String())
				}
				if !strings.HasPrefix(help, "bridge "+name+": ") {
					t.Errorf("bridge %v: help does not start with %q:\n%s", ask, "bridge "+name+": ", help)
				}
				if !regexp.MustCompile(`(?m)^Usage: bridge ` + regexp.QuoteMeta(name) + `\b`).MatchString(help) {
					t.Errorf("bridge %v: no Usage line:\n%s", ask, help)
				}
				rows := helpTable(t, help)
				if tc.flags == nil {
					continue
				}
				tc.flags.VisitAll(func(f *flag.Flag) {
					row, ok := rows[f.Name]
					if !ok {
						t.Errorf("bridge %v: flag --%s is not in the help's table:\n%s", ask, f.Name, help)
						return
					}
					wantEnv, wantDef := "", f.DefValue
					if s, ok := settings[f.Name]; ok && isSetting(name, f.Name) {
						wantEnv, wantDef = s.Env, s.Default
					}
					if wantDef == "" {
						wantDef = "none"
					}
					if row.env != wantEnv || row.def != wantDef {
						t.Errorf("bridge %v: --%s shows env %q default %q, want %q %q", ask, f.Name, row.env, row.def, wantEnv, wantDef)
					}
				})
			}

			// An unknown flag: the flag whose name comes first, mistyped.
			typo, want := "--frobnicate", ""
			if tc.flags != nil {
				tc.flags.VisitAll(func(f *flag.Flag) {
					if want == "" && len(f.Name) > 3 {
						want, typo = f.Name, "--"+f.Name+f.Name[len(f.Name)-1:]
					}
				})
			}
			var out, errOut bytes.Buffer
			args := append(tc.words[:len(tc.words):len(tc.words)], typo, "x")
			code := run(args, nil, &out, &errOut)
			if code != 2 || out.Len() > 0 || !strings.Contains(errOut.String(), "Usage: bridge "+name) || tableHeader.MatchString(errOut.String()) {
				t.Errorf("bridge %v: exit %d, stdout %q, stderr %q; want 2, the problem and the usage line on stderr", args, code, out.String(), errOut.String())
			}
			if want != "" && !strings.Contains(errOut.String(), "did you mean --"+want+"?") {
				t.Errorf("bridge %v: stderr %q does not suggest --%s", args, errOut.String(), want)
			}
		})
	}
}

// TestRunHelpTable: bridge run's table of settings is the one the config
// package prints, row for row.
func TestRunHelpTable(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"run", "--help"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var own bytes.Buffer
	fs := flag.NewFlagSet("bridge run", flag.ContinueOnError)
	fs.SetOutput(&own)
	_, _ = config.Load(fs, []string{"-h"}, func(string) (string, bool) { return "", false })
	_, table, ok := strings.Cut(own.String(), "\n\n")
	if !ok || !strings.Contains(out.String(), "\n\n"+table+"\n") {
		t.Errorf("bridge run --help lacks config's table\n%s\nwant\n%s", out.String(), table)
	}
	if !strings.HasSuffix(out.String(), "the config file, else its default. See docs/configuration.md.\n") {
		t.Errorf("bridge run --help does not end with where settings come from:\n%s", out.String())
	}
}

// TestHelpBinary runs the real binary: help on stdout with exit 0, a usage
// error on stderr with exit 2.
func TestHelpBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args         []string
		code         int
		stdout, errs string // the start of stdout; in stderr
	}{
		{[]string{"check", "-h"}, 0, "bridge check: ", ""},
		{[]string{"help", "dlq", "list"}, 0, "bridge dlq list: ", ""},
		{[]string{"run", "--help"}, 0, "bridge run: ", ""},
		{[]string{"help"}, 0, "bridge turns", ""},
		{[]string{"dlq", "list", "--limt", "3"}, 2, "", "did you mean --limit?"},
		{[]string{"events", "lst"}, 2, "", `did you mean "list"?`},
		{[]string{"tail", "--since", "soon"}, 2, "", "--since"},
		{[]string{"sned"}, 2, "", `did you mean "send"?`},
	} {
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, tc.args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.HasPrefix(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.errs) ||
			(tc.code == 0 && errOut.Len() > 0) || (tc.code != 0 && out.Len() > 0) {
			t.Errorf("bridge %v: exit %d\nstdout: %.300s\nstderr: %s", tc.args, code, out.String(), errOut.String())
		}
	}
}

// TestUsageErrors: a usage error names what to fix, then gives the usage
// line, on stderr with exit 2.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr, before the usage line
	}{
		{[]string{"events", "get"}, "bridge events get: the event's id is missing"},
		{[]string{"events", "get", "a", "b"}, `takes one event id, got ["a" "b"]`},
		{[]string{"tail", "x"}, `bridge tail: unexpected argument "x"`},
		{[]string{"health", "--admin"}, "flag needs an argument: --admin"},
		{[]string{"dlq"}, "bridge dlq: which command? list or replay"},
		{[]string{"dlq", "lst"}, `unknown command "lst" (did you mean "list"?)`},
		{[]string{"events", "list", "--limit", "-1"}, "--limit -1"},
		{[]string{"dlq", "list", "--since", "-1h"}, "--since"},
		{[]string{"version", "extra"}, `bridge version: unexpected argument "extra"`},
		{[]string{"help", "--x"}, "bridge help: flag provided but not defined: --x"},
		{[]string{"completion", "fis"}, `unknown shell "fis" (did you mean "fish"?)`},
		{[]string{"map", "--mappings", "."}, "bridge map: --provider is required"},
		{[]string{"check", "--mapings", "."}, "flag provided but not defined: --mapings (did you mean --mappings?)"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errOut)
		lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
		if code != 2 || out.Len() > 0 || !strings.Contains(errOut.String(), tc.want) ||
			!strings.HasPrefix(lines[len(lines)-1], "Usage: bridge ") {
			t.Errorf("bridge %v: exit %d, stdout %q, stderr %q; want 2 and %q then the usage line on stderr", tc.args, code, out.String(), errOut.String(), tc.want)
		}
	}
}
