package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/playground"
	"github.com/bridge-dev/bridge/internal/transform"
)

// The mapping tools (check, test, map, catalog) read the same directories as
// `bridge run`, with the same environment variables as defaults.
type toolFlags struct {
	fs             *flag.FlagSet
	help           *help
	stdout, stderr io.Writer
	mappings       string
	schemas        string
}

// dirsFromConfig takes the mapping and schema directories that neither a
// flag nor a BRIDGE_* variable gave from cfg (bridge run's config file),
// as bridge run reads them.
func (t *toolFlags) dirsFromConfig(cfg config.Config) {
	given := map[string]bool{}
	t.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["mappings"] && os.Getenv("BRIDGE_MAPPINGS") == "" {
		t.mappings = cfg.Mappings
	}
	if !given["schemas"] && os.Getenv("BRIDGE_SCHEMAS") == "" {
		t.schemas = cfg.Schemas
	}
}

func newToolFlags(h *help, stdout, stderr io.Writer) *toolFlags {
	t := &toolFlags{fs: h.newFlagSet(), help: h, stdout: stdout, stderr: stderr}
	t.fs.StringVar(&t.mappings, "mappings", envOr("BRIDGE_MAPPINGS", "./mappings"), "mapping files directory")
	t.fs.StringVar(&t.schemas, "schemas", envOr("BRIDGE_SCHEMAS", "./schemas"), "JSON schema directory")
	return t
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// parse returns the exit code to stop with, or -1 to go on.
func (t *toolFlags) parse(args []string) int {
	if err := t.fs.Parse(args); err != nil {
		return t.help.parseError(err, t.fs, t.stdout, t.stderr)
	}
	if t.fs.NArg() > 0 {
		return t.help.usageError(t.stderr, "unexpected argument %q", t.fs.Arg(0))
	}
	return -1
}

// load loads the set. With placeholders, every secret reference resolves to
// a placeholder: the tools that never verify a signature (test, map,
// catalog) work without the real secrets.
func (t *toolFlags) load(placeholders bool, stdout io.Writer) (*transform.Set, int) {
	opts := transform.Options{SchemasDir: t.schemas, PlaceholderSecrets: placeholders}
	set, err := transform.Load(t.mappings, opts)
	if err != nil {
		if ps := transform.DiagnosticsOf(err); len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintln(stdout, p.Error())
			}
			fmt.Fprintf(stdout, "%d problem(s)\n", len(ps))
		} else {
			fmt.Fprintln(stdout, err)
		}
		return nil, 1
	}
	return set, 0
}

var (
	checkHelp = help{name: "check", args: "[flags]",
		purpose: "compile and lint every mapping as bridge run would (secrets from the environment); each problem, and each warning (exit 0), as file:line:col"}
	testHelp = help{name: "test", args: "[flags]",
		purpose: "run every mapping rule's fixtures, one line each; exit 1 on a mismatch"}
	mapHelp = help{name: "map", args: `--provider P [-H "Name: value"]... [flags] < payload.json`,
		purpose: "dry run: map one payload from stdin and print the event(s) or the dead-letter reason, without NATS"}
	catalogHelp = help{name: "catalog", args: "[flags]",
		purpose: "list every event type the mappings can emit, with its schema and rule"}
)

// runCheck is `bridge check`: load and type-check every mapping as the
// daemon would (secrets from the environment) and list every problem, and
// every warning: what loads but is likely not meant (exit 0 when there
// are only warnings).
func runCheck(args []string, stdout, stderr io.Writer) int {
	t := newToolFlags(&checkHelp, stdout, stderr)
	if code := t.parse(args); code >= 0 {
		return code
	}
	opts := transform.Options{SchemasDir: t.schemas}
	set, warnings, err := transform.LoadWithWarnings(t.mappings, opts)
	if err != nil {
		ps := transform.DiagnosticsOf(err)
		if len(ps) == 0 {
			fmt.Fprintln(stdout, err)
			return 1
		}
		for _, p := range ps {
			fmt.Fprintln(stdout, p.Error())
		}
		warnings = checkWarnings(warnings)
		printWarnings(stdout, warnings)
		fmt.Fprintf(stdout, "%d problem(s)%s\n", len(ps), warningCount(warnings))
		return 1
	}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		warnings = append(warnings, fixture.KeyCollisions(m)...)
	}
	transform.SortWarnings(warnings)
	warnings = checkWarnings(warnings)
	printWarnings(stdout, warnings)
	rules := 0
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		rules += len(m.Rules())
	}
	fmt.Fprintf(stdout, "ok: %d mapping file(s), %d rule(s), %d event type(s)%s\n", len(set.Providers()), rules, len(set.Catalog()), warningCount(warnings))
	if _, chosen := os.LookupEnv("BRIDGE_EVENTS_AUTH"); !chosen {
		// What bridge run will ask of this set: the files are fine, the
		// endpoint that serves them needs its authentication chosen.
		for _, p := range set.Providers() {
			if m, _ := set.Mapping(p); m.Accepts(transform.IngestEvents) {
				fmt.Fprintf(stdout, "note: %s accepts the events protocol: bridge run needs --events-auth token or jwt (or none, written out)\n", m.File)
			}
		}
	}
	return 0
}

// checkWarnings leaves out the warnings that do not apply to the bridge
// run will start: with BRIDGE_TLS_CLIENT_CA set the listener requires
// client certificates, and scheme none is what that listener is for. A
// CA file that is not there silences nothing: bridge run would not start
// with it.
func checkWarnings(ws []*transform.Warning) []*transform.Warning {
	v, _ := os.LookupEnv("BRIDGE_TLS_CLIENT_CA")
	fi, err := os.Stat(v)
	return transform.ForListener(ws, v != "" && err == nil && !fi.IsDir())
}

// printWarnings prints each warning as path:line:col: warning: message [slug].
func printWarnings(w io.Writer, ws []*transform.Warning) {
	for _, x := range ws {
		fmt.Fprintln(w, x.String())
	}
}

// warningCount is ", N warning(s)" for a summary line, "" for none.
func warningCount(ws []*transform.Warning) string {
	if len(ws) == 0 {
		return ""
	}
	return fmt.Sprintf(", %d warning(s)", len(ws))
}

// testFlags are bridge test's flags.
type testFlags struct {
	*toolFlags
	update *bool
}

func newTestFlags(stdout, stderr io.Writer) testFlags {
	t := newToolFlags(&testHelp, stdout, stderr)
	return testFlags{t, t.fs.Bool("update", false, "rewrite the expected files from the actual output")}
}

// runTest is `bridge test`: every rule's fixtures, one line each and a
// summary, exit 1 on a mismatch; --update rewrites the expected files.
func runTest(args []string, stdout, stderr io.Writer) int {
	f := newTestFlags(stdout, stderr)
	t, update := f.toolFlags, f.update
	if code := t.parse(args); code >= 0 {
		return code
	}
	set, code := t.load(true, stdout)
	if set == nil {
		return code
	}
	passed, failed := 0, 0
	for _, r := range fixture.RunAll(set, *update) {
		name := r.Mapping.Provider + "/" + r.Rule.Name
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(stdout, "--- FAIL: %s (%s:%d)\n", name, r.Mapping.File, r.Fixture.Line)
			for _, line := range strings.Split(strings.TrimRight(r.Err.Error(), "\n"), "\n") {
				fmt.Fprintf(stdout, "    %s\n", line)
			}
		case r.Fixture.ExpectDeadLetter != "":
			passed++
			fmt.Fprintf(stdout, "ok   %s (dead letter %s)\n", name, r.Fixture.ExpectDeadLetter)
		case r.Updated:
			passed++
			fmt.Fprintf(stdout, "ok   %s: wrote %s\n", name, r.Fixture.Expect)
		default:
			passed++
			fmt.Fprintf(stdout, "ok   %s (%s)\n", name, r.Fixture.Expect)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// headerFlags collects repeated -H "Name: value" flags.
type headerFlags map[string]string

func (h headerFlags) String() string {
	if len(h) == 0 {
		return ""
	}
	return fmt.Sprint(map[string]string(h))
}

func (h headerFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want \"Name: value\", got %q", s)
	}
	h[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))] = strings.TrimSpace(v)
	return nil
}

// mapFlags are bridge map's flags.
type mapFlags struct {
	*toolFlags
	provider, contentType *string
	headers               headerFlags
}

func newMapFlags(stdout, stderr io.Writer) mapFlags {
	f := mapFlags{toolFlags: newToolFlags(&mapHelp, stdout, stderr), headers: headerFlags{}}
	f.provider = f.fs.String("provider", "", "the provider whose mapping file to apply (required)")
	f.contentType = f.fs.String("content-type", transform.ContentJSON, "the payload's content type")
	f.fs.Var(f.headers, "H", `a request header "Name: value" (repeatable), e.g. -H "X-GitHub-Event: push"`)
	return f
}

// runMap is `bridge map`: a dry run of one payload from stdin (an
// events-protocol envelope for a file that takes only the events protocol),
// printing the event(s) or the dead-letter reason, without touching NATS.
func runMap(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newMapFlags(stdout, stderr)
	t, provider, contentType, headers := f.toolFlags, f.provider, f.contentType, f.headers
	if code := t.parse(args); code >= 0 {
		return code
	}
	if *provider == "" {
		return mapHelp.usageError(stderr, "--provider is required")
	}
	set, code := t.load(true, stderr)
	if set == nil {
		return code
	}
	m, ok := set.Mapping(*provider)
	if !ok {
		fmt.Fprintf(stderr, "bridge map: no mapping file for provider %q (have %s)\n", *provider, strings.Join(set.Providers(), ", "))
		return 1
	}
	body, err := io.ReadAll(io.LimitReader(stdin, 64<<20))
	if err != nil {
		fmt.Fprintf(stderr, "bridge map: reading the payload: %v\n", err)
		return 1
	}
	// The same dry run as the playground's POST /api/map.
	res, err := playground.Map(m, playground.Input{Body: body, ContentType: *contentType, Headers: headers, ReceivedAt: time.Now().UTC()})
	if err != nil {
		fmt.Fprintf(stderr, "bridge map: %v\n", err)
		return 1
	}
	if res.Failure != nil {
		rule := ""
		if res.Rule != nil {
			rule = fmt.Sprintf(" (rule %q, %s:%d)", res.Rule.Name, m.File, res.Rule.Line)
		}
		fmt.Fprintf(stderr, "dead letter: %s%s: %v\n", res.Failure.Reason, rule, res.Failure)
		return 1
	}
	out, err := fixture.Render(res, true)
	if err != nil {
		fmt.Fprintf(stderr, "bridge map: %v\n", err)
		return 1
	}
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n') // a shell prompt does not land on the answer's line
	}
	_, _ = stdout.Write(out)
	return 0
}

// catalogFlags are bridge catalog's flags.
type catalogFlags struct {
	*toolFlags
	asJSON *bool
}

func newCatalogFlags(stdout, stderr io.Writer) catalogFlags {
	t := newToolFlags(&catalogHelp, stdout, stderr)
	return catalogFlags{t, t.fs.Bool("json", false, "print JSON instead of a table")}
}

// runCatalog is `bridge catalog`: every type the set can emit.
func runCatalog(args []string, stdout, stderr io.Writer) int {
	f := newCatalogFlags(stdout, stderr)
	t, asJSON := f.toolFlags, f.asJSON
	if code := t.parse(args); code >= 0 {
		return code
	}
	set, code := t.load(true, stderr)
	if set == nil {
		return code
	}
	cat := set.Catalog()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(cat)
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TYPE\tDATASCHEMA\tFILE:LINE\tRULE")
	for _, e := range cat {
		schema := e.DataSchema
		if schema == "" {
			schema = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s:%d\t%s\n", e.Type, schema, e.File, e.Line, e.Rule)
	}
	_ = w.Flush()
	return 0
}
