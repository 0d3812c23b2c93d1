package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/config"
)

const (
	dashboardFile  = "grafana/bridge-dashboard.json"
	operationsFile = "../docs/operations.md"
)

// What the tests read of a Grafana dashboard.
type (
	dashboard struct {
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []struct {
				Name       string      `json:"name"`
				Type       string      `json:"type"`
				Query      any         `json:"query"` // a string, or {"query": "..."}
				Datasource *datasource `json:"datasource"`
			} `json:"list"`
		} `json:"templating"`
		Panels []panel `json:"panels"`
	}
	panel struct {
		ID         int         `json:"id"`
		Type       string      `json:"type"`
		Title      string      `json:"title"`
		Datasource *datasource `json:"datasource"`
		GridPos    *struct {
			H, W int
		} `json:"gridPos"`
		Targets []struct {
			Expr       string      `json:"expr"`
			RefID      string      `json:"refId"`
			Datasource *datasource `json:"datasource"`
		} `json:"targets"`
		Panels []panel `json:"panels"` // a collapsed row's
	}
	datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
)

// TestGrafanaDashboard: the dashboard is valid JSON for a current Grafana,
// takes its Prometheus from a variable, and queries only metrics the
// bridge registers.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d, want 36 or later", d.SchemaVersion)
	}
	known := seriesNames(registeredMetrics(t))

	dsVar := ""
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Query == "prometheus" {
			dsVar = v.Name
		}
	}
	if dsVar == "" {
		t.Fatal("no datasource variable of type prometheus")
	}
	useVar := func(where string, ds *datasource) {
		if ds == nil || ds.Type != "prometheus" || (ds.UID != "${"+dsVar+"}" && ds.UID != "$"+dsVar) {
			t.Errorf("%s: datasource %+v, want the variable ${%s}", where, ds, dsVar)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		useVar("variable "+v.Name, v.Datasource)
		q := v.Query
		if m, ok := q.(map[string]any); ok {
			q = m["query"]
		}
		s, _ := q.(string)
		checkQuery(t, "variable "+v.Name, s, known)
	}

	ids := map[int]string{}
	used := map[string]bool{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if other, dup := ids[p.ID]; dup {
				t.Errorf("%s: id already used by %q", where, other)
			}
			ids[p.ID] = p.Title
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
				t.Errorf("%s: no gridPos", where)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			useVar(where, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("%s: no query", where)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil {
					useVar(where+" target "+tg.RefID, tg.Datasource)
				}
				checkQuery(t, where+" target "+tg.RefID, tg.Expr, known)
				for _, name := range promMetrics(tg.Expr) {
					used[name] = true
				}
			}
		}
	}
	walk(d.Panels)

	// Every bridge metric is on the dashboard: one that is not fails.
	for _, name := range sortedKeys(known) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if strings.HasPrefix(name, "bridge_") && name == base && !used[name] && !used[name+"_bucket"] {
			t.Errorf("%s is not on the dashboard (examples/grafana)", name)
		}
	}
}

// metricRow is a row of the metrics table of docs/operations.md.
var metricRow = regexp.MustCompile("^\\| `(bridge_[a-z0-9_]+)` \\| ([a-z_]+) \\| ([^|]*) \\|")

// TestOperationsMetricsTable: docs/operations.md lists every metric the
// bridge registers, with its type and labels, and nothing else.
func TestOperationsMetricsTable(t *testing.T) {
	fams := registeredMetrics(t)
	data, err := os.ReadFile(operationsFile)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		m := metricRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, typ := m[1], m[2]
		var labels []string
		for _, l := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(m[3], -1) {
			labels = append(labels, l[1])
		}
		sort.Strings(labels)
		where := fmt.Sprintf("%s:%d", operationsFile, i+1)
		documented[name] = true
		f, ok := fams[name]
		if !ok {
			t.Errorf("%s: %s is not a metric the bridge registers (renamed?)", where, name)
			continue
		}
		if typ != f.Type {
			t.Errorf("%s: %s is a %s, the table says %s", where, name, f.Type, typ)
		}
		if !slices.Equal(labels, f.Labels) {
			t.Errorf("%s: %s has the labels %v, the table says %v", where, name, f.Labels, labels)
		}
	}
	for _, name := range sortedKeys(fams) {
		if strings.HasPrefix(name, "bridge_") && !documented[name] {
			t.Errorf("%s: the metrics table does not list %s (%s, labels %v)", operationsFile, name, fams[name].Type, fams[name].Labels)
		}
	}
}

// TestOperationsQueries: every PromQL query and alert rule in
// docs/operations.md reads metrics the bridge registers, and the rules file
// parses.
func TestOperationsQueries(t *testing.T) {
	known := seriesNames(registeredMetrics(t))
	blocks := codeBlocks(t, operationsFile)
	var rules, queries int
	for _, b := range blocks {
		switch b.lang {
		case "promql":
			for _, line := range strings.Split(b.text, "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					checkQuery(t, fmt.Sprintf("%s:%d", operationsFile, b.line), line, known)
					queries++
				}
			}
		case "yaml":
			var f struct {
				Groups []struct {
					Name  string `yaml:"name"`
					Rules []struct {
						Alert string `yaml:"alert"`
						Expr  string `yaml:"expr"`
					} `yaml:"rules"`
				} `yaml:"groups"`
			}
			if err := yaml.Unmarshal([]byte(b.text), &f); err != nil {
				t.Errorf("%s:%d: %v", operationsFile, b.line, err)
				continue
			}
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						t.Errorf("%s:%d: a rule without a name in group %s", operationsFile, b.line, g.Name)
					}
					checkQuery(t, fmt.Sprintf("%s:%d alert %s", operationsFile, b.line, r.Alert), r.Expr, known)
					rules++
				}
			}
		}
	}
	if rules == 0 || queries == 0 {
		t.Errorf("%s: %d alert rules and %d PromQL queries found; the test reads ```yaml and ```promql blocks", operationsFile, rules, queries)
	}
}

// codeBlock is a fenced block of a Markdown file.
type codeBlock struct {
	lang, text string
	line       int // of the opening fence
}

func codeBlocks(t *testing.T, path string) []codeBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []codeBlock
	var cur *codeBlock
	var text []string
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &codeBlock{lang: strings.TrimPrefix(trimmed, "```"), line: i + 1}
			text = nil
		case cur != nil && trimmed == "```":
			cur.text = strings.Join(text, "\n")
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			text = append(text, line)
		}
	}
	return out
}

// dlqFlags are the flags of `bridge dlq` (cmd/bridge, which this package
// cannot import) that docs/operations.md may name besides the settings'.
var dlqFlags = []string{"provider", "reason", "since", "limit", "json", "dry-run", "timeout",
	"nats-url", "mappings", "schemas", "nats-creds", "nats-nkey", "nats-user", "nats-tls-ca", "nats-tls-cert", "nats-tls-key"}

// remapFlags are the flags `bridge remap` has besides dlq's and the
// settings' (cmd/bridge/remap.go).
var remapFlags = []string{"from-seq", "reissue"}

// healthFlags are the flags `bridge health` has besides the settings'
// (cmd/bridge/health.go).
var healthFlags = []string{"live", "quiet"}

// eventsFlags are the flags of `bridge events` and `bridge tail`
// (cmd/bridge/events.go) besides the settings'.
var eventsFlags = []string{"type", "entity"}

// Flags in docs: a code span that starts with one (`--grace`,
// `--log-format text`), and every flag after a bridge command (bridge dlq
// list --since 24h), in code spans and blocks alike.
var (
	codeSpan     = regexp.MustCompile("`([^`\n]+)`")
	leadingFlag  = regexp.MustCompile(`^--([a-z][a-z0-9-]*)`)
	bridgeCmd    = regexp.MustCompile(`\bbridge (?:run|check|test|map|catalog|dlq|remap|send|version)\b(.*)`)
	flagAnywhere = regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
)

// docFlags returns the flags text names, as above.
func docFlags(text string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
		if f := leadingFlag.FindStringSubmatch(m[1]); f != nil {
			out = append(out, f[1])
		}
	}
	for _, line := range strings.Split(text, "\n") {
		for _, cmd := range bridgeCmd.FindAllStringSubmatch(line, -1) {
			args := cmd[1]
			if i := strings.IndexByte(args, '`'); i >= 0 {
				args = args[:i]
			}
			for _, f := range flagAnywhere.FindAllStringSubmatch(args, -1) {
				out = append(out, f[1])
			}
		}
	}
	return out
}

// TestDeployDocsNameRealSettings: every BRIDGE_* variable and every flag
// that the operations page and the examples' files name is real.
func TestDeployDocsNameRealSettings(t *testing.T) {
	files := []string{operationsFile}
	for _, dir := range []string{composeDir, kubeDir} {
		matches, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	flags := map[string]bool{}
	for _, s := range config.Settings() {
		flags[s.Flag] = true
	}
	for _, f := range append(append(append(dlqFlags, healthFlags...), eventsFlags...), remapFlags...) {
		flags[f] = true
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkBridgeEnvNames(t, path, bridgeEnvRef.FindAllString(string(data), -1))
		if path != operationsFile {
			continue
		}
		for _, f := range docFlags(string(data)) {
			if !flags[f] {
				t.Errorf("%s: --%s is neither a setting of bridge run nor a flag of bridge dlq or bridge health", path, f)
			}
		}
	}
}
