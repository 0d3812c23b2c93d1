package docs

// The tests of this file fail when the code and the docs disagree on a
// problem type, a metric, an admin route or a signature scheme: each set is
// read from the code (its source, or a running daemon) and from the page
// that documents it, and compared both ways. Settings have theirs in
// internal/config/docs_test.go.

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/daemon"
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/signature"
)

// compare reports, naming the doc, every item of code missing from doc
// and every item of doc missing from code.
func compare(t *testing.T, kind, docName string, code, doc map[string]bool) {
	t.Helper()
	if len(code) == 0 || len(doc) == 0 {
		t.Fatalf("%s: found %d in the code and %d in %s: the test no longer reads one of them", kind, len(code), len(doc), docName)
	}
	for _, k := range slices.Sorted(maps.Keys(code)) {
		if !doc[k] {
			t.Errorf("%s %q exists in the code but %s does not list it", kind, k, docName)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !code[k] {
			t.Errorf("%s lists %s %q, which the code does not have", docName, kind, k)
		}
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section is the text of doc from the heading whose text is heading up to
// the next heading of the same or a higher level.
func section(t *testing.T, doc, name, heading string) string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	start, level := -1, 0
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, "#")
		lv := len(l) - len(trimmed)
		if lv == 0 || !strings.HasPrefix(trimmed, " ") {
			continue
		}
		if start < 0 {
			if strings.TrimSpace(trimmed) == heading {
				start, level = i, lv
			}
			continue
		}
		if lv <= level {
			return strings.Join(lines[start:i], "\n")
		}
	}
	if start < 0 {
		t.Fatalf("%s has no heading %q", name, heading)
	}
	return strings.Join(lines[start:], "\n")
}

// tableRows returns the cells of every table row of text whose first cell
// matches first (trimmed), keyed by its first submatch.
func tableRows(text string, first *regexp.Regexp) map[string][]string {
	rows := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if m := first.FindStringSubmatch(cells[0]); m != nil {
			rows[m[1]] = cells
		}
	}
	return rows
}

// --- problem types ---------------------------------------------------------

// sourceFiles parses every non-test Go file under the directories dirs.
func sourceFiles(t *testing.T, dirs ...string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err == nil {
				files = append(files, f)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fset, files
}

// calledName is the name of the function a call calls: f(...) or x.f(...).
func calledName(call *ast.CallExpr) string {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}

// codeProblemTypes returns the slug of every urn:bridge:problem the code
// can answer. A slug reaches the answer as a parameter named slug (of
// problem.Write, Respond and TypeURI, ingest's reject, ...) or a struct field
// named slug; the test finds every function and struct type with one and
// reads the string literal given to it at each call or composite literal.
// A slug given as anything but a literal, or a parameter or field named
// slug, is reported: the test cannot follow it.
func codeProblemTypes(t *testing.T) map[string]bool {
	t.Helper()
	fset, files := sourceFiles(t, "../internal", "../cmd")
	params := map[string]int{} // function name -> index of its slug argument
	fields := map[string]int{} // struct type name -> index of its slug field
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				i := 0
				for _, p := range n.Type.Params.List {
					for _, name := range p.Names {
						if name.Name == "slug" {
							params[n.Name.Name] = i
						}
						i++
					}
					if len(p.Names) == 0 {
						i++
					}
				}
			case *ast.TypeSpec:
				st, ok := n.Type.(*ast.StructType)
				if !ok {
					return true
				}
				i := 0
				for _, fl := range st.Fields.List {
					for _, name := range fl.Names {
						if name.Name == "slug" {
							fields[n.Name.Name] = i
						}
						i++
					}
					if len(fl.Names) == 0 {
						i++
					}
				}
			}
			return true
		})
	}
	if len(params) == 0 {
		t.Fatal("no function takes a slug: the problem writers were renamed, update this test")
	}
	slugs := map[string]bool{}
	take := func(e ast.Expr) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
				slugs[s] = true
				return
			}
		case *ast.Ident:
			if e.Name == "slug" {
				return // passed on: counted where it was given
			}
		case *ast.SelectorExpr:
			if e.Sel.Name == "slug" {
				return // a field named slug: counted in its literals
			}
		}
		t.Errorf("%s: a problem slug the test cannot read; give it as a string literal", fset.Position(e.Pos()))
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if i, ok := params[calledName(n)]; ok && i < len(n.Args) {
					take(n.Args[i])
				}
			case *ast.CompositeLit:
				id, ok := n.Type.(*ast.Ident)
				if !ok {
					return true
				}
				i, ok := fields[id.Name]
				if !ok {
					return true
				}
				for j, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "slug" {
							take(kv.Value)
						}
					} else if j == i {
						take(el)
					}
				}
			}
			return true
		})
	}
	return slugs
}

// TestDocsListEveryProblemType fails when the code can answer a problem type
// that docs/http-api.md's table does not list, or the other way round.
func TestDocsListEveryProblemType(t *testing.T) {
	const name = "docs/http-api.md (section Problem answers)"
	text := section(t, readDoc(t, "http-api.md"), name, "Problem answers")
	rows := tableRows(text, regexp.MustCompile("^`([a-z-]+)`$"))
	doc := map[string]bool{}
	for slug, cells := range rows {
		if len(cells) < 2 {
			continue
		}
		if _, err := strconv.Atoi(strings.Fields(cells[1] + " x")[0]); err == nil {
			doc[slug] = true
		}
	}
	compare(t, "problem type", name, codeProblemTypes(t), doc)
}

// --- metrics ---------------------------------------------------------------

// startDaemon runs a daemon on loopback ports with the shipped mappings and
// its embedded NATS server in a temporary directory.
func startDaemon(t *testing.T, edit func(*config.Config)) *daemon.Daemon {
	t.Helper()
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_docs_test_secret")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "gh-docs-test-secret")
	t.Setenv("MERCADOPAGO_WEBHOOK_SECRET", "mp-docs-test-secret")
	t.Setenv("SLACK_WEBHOOK_SECRET", "slack-docs-test-secret")
	t.Setenv("SHOPIFY_WEBHOOK_SECRET", "shopify-docs-test-secret")
	cfg := config.Default()
	cfg.HTTP, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Mappings, cfg.Schemas = "../mappings", "../schemas"
	cfg.EmbeddedNATS.Listen, cfg.EmbeddedNATS.StoreDir = "127.0.0.1:-1", t.TempDir()
	cfg.RequestTimeout = 2 * time.Second
	// guardia.yaml accepts the events protocol: run it open, as an
	// operator would with --events-auth none.
	cfg.EventsAuthSource = "flag --events-auth"
	if edit != nil {
		edit(&cfg)
	}
	d, err := daemon.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return d
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// recorder is a registry that remembers the name and labels of every
// metric registered on it, whether or not it has a sample yet.
type recorder struct {
	*prometheus.Registry
	labels map[string]string // name -> its variable labels, sorted, comma-separated
}

var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func (r *recorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := descRE.FindStringSubmatch(d.String()); m != nil {
			var ls []string
			for l := range strings.SplitSeq(m[2], ",") {
				if l = strings.TrimSpace(l); l != "" {
					ls = append(ls, l)
				}
			}
			slices.Sort(ls)
			r.labels[m[1]] = strings.Join(ls, ",")
		}
	}
	return r.Registry.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// codeMetrics returns every bridge_ metric: its type and labels. The types
// and the metrics with samples come from a running daemon's /metrics; the
// labels, and the labelled metrics without samples yet, from the metrics
// package's registrations on a registry that records them, as the daemon
// makes them.
func codeMetrics(t *testing.T) (types, labels map[string]string) {
	t.Helper()
	rec := &recorder{Registry: prometheus.NewRegistry(), labels: map[string]string{}}
	if _, err := metrics.New(rec); err != nil {
		t.Fatal(err)
	}
	if err := metrics.NATSConnected(rec, func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := metrics.RegisterBodyBudget(rec, func() int64 { return 0 }, 1); err != nil {
		t.Fatal(err)
	}
	zero := func() uint64 { return 0 }
	if err := metrics.RegisterIdempotencyCache(rec, metrics.IdempotencyCache{
		Ready: func() bool { return true }, Local: zero, Bucket: zero, Rebuilds: zero, Resyncs: zero,
	}); err != nil {
		t.Fatal(err)
	}
	if len(rec.labels) == 0 {
		t.Fatal("the recording registry read no metric names: Desc.String changed its form, update descRE")
	}

	d := startDaemon(t, nil)
	status, _, body := get(t, "http://"+d.AdminAddr()+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", status, body)
	}
	types = map[string]string{}
	for line := range strings.Lines(string(body)) {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	for name := range rec.labels {
		if _, ok := types[name]; !ok {
			types[name] = "" // registered, no sample yet: type unknown
		}
	}
	for name := range types {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			delete(types, name) // documented as families
		}
	}
	return types, rec.labels
}

// TestDocsListEveryMetric fails when the bridge exports a metric that
// docs/operations.md's metrics tables do not list, or the other way round,
// or a row gives another type or other labels than the code.
func TestDocsListEveryMetric(t *testing.T) {
	const name = "docs/operations.md (section 3. Metrics)"
	text := section(t, readDoc(t, "operations.md"), name, "3. Metrics")
	rows := tableRows(text, regexp.MustCompile("^`([a-z_]+)`$"))
	types, labels := codeMetrics(t)
	code, doc := map[string]bool{}, map[string]bool{}
	for n := range types {
		code[n] = true
	}
	for n := range rows {
		doc[n] = true
	}
	compare(t, "metric", name, code, doc)
	tick := regexp.MustCompile("`([a-z_]+)`")
	for n, cells := range rows {
		if !code[n] || len(cells) < 3 {
			continue
		}
		if typ := types[n]; typ != "" && cells[1] != typ {
			t.Errorf("%s gives %s the type %q; the bridge exports it as a %s", name, n, cells[1], typ)
		}
		want, ok := labels[n]
		if !ok {
			continue
		}
		var got []string
		for _, m := range tick.FindAllStringSubmatch(cells[2], -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		if strings.Join(got, ",") != want {
			t.Errorf("%s gives %s the labels [%s]; the code gives it [%s]", name, n, strings.Join(got, ","), want)
		}
	}
}

// --- admin routes ----------------------------------------------------------

// codeRoutes returns the pattern of every route registered with a literal
// pattern (mux.Handle, mux.HandleFunc) in the source under dirs, a
// subtree's "/{$}" and "/" folded into its path.
func codeRoutes(t *testing.T, dirs ...string) map[string]bool {
	t.Helper()
	fset, files := sourceFiles(t, dirs...)
	routes := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: a route the test cannot read; give its pattern as a string literal", fset.Position(call.Pos()))
				return true
			}
			p, _ := strconv.Unquote(lit.Value)
			routes[foldRoute(p)] = true
			return true
		})
	}
	return routes
}

func foldRoute(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	if len(p) > 1 && strings.HasSuffix(p, "/") && !strings.HasSuffix(p, " /") {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

var routeRE = regexp.MustCompile("`((?:GET|POST|PUT|DELETE|PATCH) /[^`]*)`")

// docRoutes returns the routes a listener table row of doc names for the
// listener.
func docRoutes(t *testing.T, doc, name, listener string) map[string]bool {
	t.Helper()
	rows := tableRows(doc, regexp.MustCompile("^("+listener+")$"))
	row, ok := rows[listener]
	if !ok {
		t.Fatalf("%s has no listener table row for %q", name, listener)
	}
	routes := map[string]bool{}
	for _, m := range routeRE.FindAllStringSubmatch(strings.Join(row, "|"), -1) {
		routes[m[1]] = true
	}
	return routes
}

// TestDocsListEveryAdminRoute fails when the admin listener serves a route
// that the listener tables of docs/operations.md and docs/http-api.md do
// not list, or the other way round; every listed route is requested from a
// running daemon, which must route it to a handler.
func TestDocsListEveryAdminRoute(t *testing.T) {
	// The admin mux is built in internal/daemon, with the playground's
	// routes from internal/playground, the dead letters' from
	// internal/deadletter/replay, the stored events' from
	// internal/eventlog and the remap dry run's from internal/archive/remap;
	// nothing else registers on it.
	code := codeRoutes(t, "../internal/daemon", "../internal/playground", "../internal/deadletter/replay", "../internal/eventlog",
		"../internal/archive/remap")
	docs := map[string]map[string]bool{
		"docs/operations.md (section 1. The two listeners)": docRoutes(t, readDoc(t, "operations.md"), "docs/operations.md", "admin"),
		"docs/http-api.md (section 1. Listeners)":           docRoutes(t, readDoc(t, "http-api.md"), "docs/http-api.md", "admin"),
	}
	for name, doc := range docs {
		compare(t, "admin route", name, code, doc)
	}

	d := startDaemon(t, nil)
	base := "http://" + d.AdminAddr()
	// routed reports whether the admin mux sent r to a handler: the mux's
	// own 404 and 405 are plain text.
	routed := func(method, path string) (bool, string) {
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(`{"dry_run":true}`)
		}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		mux := (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) &&
			strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")
		return !mux, strconv.Itoa(resp.StatusCode) + " " + strings.TrimSpace(string(b))
	}
	for route := range docs["docs/operations.md (section 1. The two listeners)"] {
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{provider}", "stripe")
		if ok, answer := routed(method, path); !ok {
			t.Errorf("docs/operations.md lists the admin route %q, but the daemon answers %s", route, answer)
		}
	}
	// The check above can fail: a route that does not exist is the mux's.
	if ok, answer := routed(http.MethodGet, "/api/no-such-route"); ok {
		t.Fatalf("GET /api/no-such-route was answered %s, not by the mux's 404: the route check cannot tell", answer)
	}
}

// --- signature schemes -----------------------------------------------------

// TestDocsListEverySignatureScheme fails when internal/signature has a
// scheme, or a scheme setting, that docs/signatures.md's scheme table does
// not list, or the other way round; and when docs/http-api.md's table of
// schemes lacks one or lists one that does not exist.
func TestDocsListEverySignatureScheme(t *testing.T) {
	code := map[string]bool{}
	for _, s := range signature.Schemes() {
		code[s] = true
	}

	const sigName = "docs/signatures.md (scheme table)"
	rows := tableRows(readDoc(t, "signatures.md"), regexp.MustCompile("^\\[`([a-z0-9-]+)`\\]\\(#[a-z0-9-]+\\)$"))
	doc := map[string]bool{}
	for s := range rows {
		doc[s] = true
	}
	compare(t, "signature scheme", sigName, code, doc)
	header := tableRows(readDoc(t, "signatures.md"), regexp.MustCompile("^(scheme)$"))["scheme"]
	col := slices.Index(header, "settings")
	if col < 0 {
		t.Fatalf("%s has no settings column", sigName)
	}
	tick := regexp.MustCompile("`([a-z_]+)`")
	for s, cells := range rows {
		if !code[s] || col >= len(cells) {
			continue
		}
		var got []string
		for _, m := range tick.FindAllStringSubmatch(cells[col], -1) {
			got = append(got, m[1])
		}
		want := signature.Settings(s)
		if !slices.Equal(got, want) {
			t.Errorf("%s gives %s the settings %v; internal/signature has %v (in that order)", sigName, s, got, want)
		}
	}

	const apiName = "docs/http-api.md (section Checks, cheapest first)"
	text := section(t, readDoc(t, "http-api.md"), apiName, "Checks, cheapest first")
	api := map[string]bool{}
	for s := range tableRows(text, regexp.MustCompile("^`([a-z0-9-]+)`$")) {
		api[s] = true
	}
	compare(t, "signature scheme", apiName, code, api)
}

// --- tests cited as proof ----------------------------------------------------

// TestDocsCiteRealTests fails when a page cites a test (TestX, FuzzX,
// BenchmarkX) as the proof of a statement and no such function exists in
// the repository's tests: a renamed or removed test leaves its promise
// unproved.
func TestDocsCiteRealTests(t *testing.T) {
	defined := map[string]bool{}
	funcRE := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)\(`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcRE.FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(defined) == 0 {
		t.Fatal("found no test functions")
	}
	citeRE := regexp.MustCompile(`\b((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)`)
	cited := 0
	for _, file := range markdownFiles(t) {
		for i, line := range strings.Split(readDoc(t, file), "\n") {
			for _, m := range citeRE.FindAllStringSubmatch(line, -1) {
				cited++
				if !defined[m[1]] {
					t.Errorf("%s:%d cites %s, which no _test.go file defines", file, i+1, m[1])
				}
			}
		}
	}
	if cited == 0 {
		t.Fatal("no page cites a test: the test no longer reads them")
	}
}

// TestReadmeListsEveryPackage fails when a package of the module is not in
// the README's architecture table (a newcomer finds where each concept
// lives in one hop), or the table names a package that does not exist.
func TestReadmeListsEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## How it is built")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("README has no section \"How it is built\"")
	}
	section := text[start : start+1+end]
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:internal|cmd)/[a-z0-9/_-]+|eventsprotocol|subscriber)`").FindAllStringSubmatch(section, -1) {
		listed[m[1]] = true
	}
	have := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && (strings.HasPrefix(name, ".") && path != ".." || name == "testdata" || name == "node_modules" || name == "examples" || name == "docs") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		dir, _ := filepath.Rel("..", filepath.Dir(path))
		if dir != "." {
			have[filepath.ToSlash(dir)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range have {
		// A subpackage is found through its parent's row when the row
		// names it by its last element (`replay/`, `ingest/envelope`).
		if !listed[pkg] && !strings.Contains(section, "`"+pkg[strings.LastIndex(pkg, "/")+1:]) && !strings.Contains(section, strings.TrimPrefix(pkg, "internal/")) {
			t.Errorf("package %s is not in README's architecture table", pkg)
		}
	}
	for pkg := range listed {
		if !have[pkg] {
			t.Errorf("README's architecture table names %s, which has no Go files", pkg)
		}
	}
}
