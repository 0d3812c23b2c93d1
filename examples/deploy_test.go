// Package examples holds no code: its tests check the deployment examples
// against the bridge they deploy. Nothing here runs a container; the files
// are parsed and compared with what the bridge really reads and exports:
//
//   - compose/: three nats-server nodes (their real options, built by
//     nats-server's own parser from the mounted config) with JetStream and
//     routes to each other, and a bridge whose BRIDGE_* variables are real
//     settings, pointed at them and probed on /readyz;
//   - kubernetes/: the Deployment's settings, probes, security context and
//     volumes, the Services, the PodDisruptionBudget, and ConfigMaps that load
//     as a mapping set with the Secret's values;
//   - grafana/ and docs/operations.md: every metric they query or list is
//     one metrics.New registers, with its type and labels.
//
// Renaming a setting or a metric without updating the examples fails here.
package examples

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/metrics"
)

// repoRoot is the repository, seen from this package's directory (where
// go test runs).
const repoRoot = ".."

// yamlDocs parses every document of a YAML file (--- separated), skipping
// empty ones.
func yamlDocs(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		docs = append(docs, &n)
	}
	return docs
}

// decodeYAML decodes the single document of path into v.
func decodeYAML(t *testing.T, path string, v any) {
	t.Helper()
	docs := yamlDocs(t, path)
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", path, len(docs))
	}
	if err := docs[0].Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// knownEnv is every environment variable `bridge run` reads, by name: the
// settings', and the events endpoint's secret, which has no flag.
func knownEnv() map[string]config.Setting {
	out := map[string]config.Setting{config.EnvEventsSecret: {Env: config.EnvEventsSecret},
		config.EnvNATSPassword: {Env: config.EnvNATSPassword}, config.EnvNATSToken: {Env: config.EnvNATSToken},
		config.EnvAdminToken: {Env: config.EnvAdminToken}}
	for _, s := range config.Settings() {
		out[s.Env] = s
	}
	return out
}

// bridgeEnvRef finds BRIDGE_* variable names in text.
var bridgeEnvRef = regexp.MustCompile(`\bBRIDGE_[A-Z0-9_]+\b`)

// checkBridgeEnvNames fails for every BRIDGE_* name that is not a
// setting's environment variable; where names the source.
func checkBridgeEnvNames(t *testing.T, where string, names []string) {
	t.Helper()
	known := knownEnv()
	for _, name := range names {
		if !strings.HasPrefix(name, "BRIDGE_") {
			continue
		}
		if _, ok := known[name]; !ok {
			t.Errorf("%s: %s is not a setting of bridge run (config.Settings has no such Env); renamed?", where, name)
		}
	}
}

// setting returns the value of env name in env, or the setting's default.
func setting(t *testing.T, env map[string]string, name string) string {
	t.Helper()
	if v, ok := env[name]; ok && v != "" {
		return v
	}
	s, ok := knownEnv()[name]
	if !ok {
		t.Fatalf("%s is not a setting of bridge run", name)
	}
	return s.Default
}

// listenPort is the port of a listen address such as ":8080" or
// "0.0.0.0:9090", and whether its host lets other machines (other
// containers, the kubelet) reach it.
func listenPort(t *testing.T, what, addr string) (port int, reachable bool) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s %q: %v", what, addr, err)
	}
	port, err = strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s %q: port: %v", what, addr, err)
	}
	ip := net.ParseIP(host)
	return port, host == "" || (ip != nil && ip.IsUnspecified())
}

// secretRef finds the ${VAR} references of mapping files.
var secretRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// secretRefs returns the sorted ${VAR} names of the given mapping texts
// that the daemon reads: all but those of a backfill: block, which only
// `bridge backfill` reads (a provider's API key the daemon must not hold).
func secretRefs(texts ...string) []string {
	var out []string
	for _, text := range texts {
		for _, m := range secretRef.FindAllStringSubmatch(withoutBackfill(text), -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	sort.Strings(out)
	return out
}

// withoutBackfill is a mapping text without its top-level backfill: key
// (text itself when it is not a YAML mapping).
func withoutBackfill(text string) string {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return text
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "backfill" {
			root.Content = append(root.Content[:i], root.Content[i+2:]...)
			out, err := yaml.Marshal(&doc)
			if err != nil {
				return text
			}
			return string(out)
		}
	}
	return text
}

// mappingFiles returns the text of every mapping file the bridge would load
// from dir (*.yaml, *.yml, not hidden), by base name.
func mappingFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no mapping files", dir)
	}
	return out
}

// checkEventsSecret: an events endpoint with authentication gets its
// secret; provided holds every variable the bridge's environment sets.
func checkEventsSecret(t *testing.T, where string, env map[string]string, provided map[string]bool) {
	t.Helper()
	if mode := setting(t, env, "BRIDGE_EVENTS_AUTH"); mode != "none" && !provided[config.EnvEventsSecret] {
		t.Errorf("%s: BRIDGE_EVENTS_AUTH=%s, but nothing sets %s", where, mode, config.EnvEventsSecret)
	}
}

// placeholder reports whether a secret's value is obviously not a real one.
func placeholder(v string) bool {
	return strings.Contains(strings.ToUpper(v), "REPLACE_ME")
}

// family is one metric family the bridge registers.
type family struct {
	Type   string   // counter, gauge, histogram, summary, untyped
	Labels []string // variable label names, sorted
}

// descLabels reads the variable labels out of a descriptor's String(); the
// prometheus package has no accessor for them.
var descLabels = regexp.MustCompile(`^Desc\{fqName: "([^"]+)".*variableLabels: \{([^}]*)\}\}$`)

// recorder is a Registerer that remembers what is registered through it.
type recorder struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// registeredMetrics builds the bridge's metrics as the daemon does
// (metrics.New and metrics.NATSConnected on a fresh registry), gives every
// labelled collector one child so that it is gathered, and returns every
// family by name: the bridge's own and the Go and process collectors'.
func registeredMetrics(t *testing.T) map[string]family {
	t.Helper()
	reg := prometheus.NewRegistry()
	rec := &recorder{Registerer: reg}
	if _, err := metrics.New(rec); err != nil {
		t.Fatal(err)
	}
	if err := metrics.NATSConnected(rec, func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	zero := func() uint64 { return 0 }
	if err := metrics.RegisterIdempotencyCache(rec, metrics.IdempotencyCache{Ready: func() bool { return true },
		Local: zero, Bucket: zero, Rebuilds: zero, Resyncs: zero}); err != nil {
		t.Fatal(err)
	}
	if err := metrics.RegisterBodyBudget(rec, func() int64 { return 0 }, 1); err != nil {
		t.Fatal(err)
	}
	if err := metrics.RegisterArchive(rec, metrics.Archive{Pending: func() int64 { return 0 }, Written: zero, Dropped: zero, Failed: zero}); err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{}
	for _, c := range rec.collectors {
		ch := make(chan *prometheus.Desc, 256)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := descLabels.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read the descriptor %s", d)
			}
			described[m[1]] = true
			n := 0
			if m[2] != "" {
				n = len(strings.Split(m[2], ","))
			}
			with := reflect.ValueOf(c).MethodByName("WithLabelValues")
			if n == 0 || !with.IsValid() {
				continue
			}
			values := make([]string, n)
			for i := range values {
				values[i] = "x"
			}
			with.CallSlice([]reflect.Value{reflect.ValueOf(values)})
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]family{}
	for _, mf := range mfs {
		f := family{Type: strings.ToLower(mf.GetType().String())}
		if ms := mf.GetMetric(); len(ms) > 0 {
			for _, lp := range ms[0].GetLabel() {
				f.Labels = append(f.Labels, lp.GetName())
			}
			sort.Strings(f.Labels)
		}
		out[mf.GetName()] = f
	}
	for name := range described {
		if _, ok := out[name]; !ok && strings.HasPrefix(name, "bridge_") {
			t.Fatalf("%s is registered but was not gathered; the test cannot see its type and labels", name)
		}
	}
	if len(out) == 0 || !described["bridge_build_info"] {
		t.Fatalf("no bridge metrics gathered: %v", out)
	}
	return out
}

// seriesNames are the names a query may use: each family's name, and the
// _bucket, _count and _sum series of histograms and summaries.
func seriesNames(fams map[string]family) map[string]bool {
	out := map[string]bool{}
	for name, f := range fams {
		out[name] = true
		switch f.Type {
		case "histogram", "gauge_histogram":
			out[name+"_bucket"], out[name+"_count"], out[name+"_sum"] = true, true, true
		case "summary":
			out[name+"_count"], out[name+"_sum"] = true, true
		}
	}
	return out
}

// PromQL pieces that are not metric names.
var (
	promStrings  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promVars     = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	promIdent    = regexp.MustCompile(`\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(\s*\()?`)
	labelValues  = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*(?:,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*)?\)\s*$`)
	promKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true, "ignoring": true,
		"group_left": true, "group_right": true, "offset": true, "bool": true, "inf": true, "nan": true,
		"Inf": true, "NaN": true, "atan2": true,
	}
)

// promMetrics returns the metric names a PromQL expression (or a Grafana
// label_values(metric, label) variable query) reads.
func promMetrics(expr string) []string {
	if m := labelValues.FindStringSubmatch(expr); m != nil {
		expr = m[1]
	}
	expr = promVars.ReplaceAllString(expr, " ")
	expr = promStrings.ReplaceAllString(expr, `""`)
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promRanges.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var out []string
	for _, m := range promIdent.FindAllStringSubmatch(expr, -1) {
		name := m[0]
		if m[1] != "" { // a function call
			continue
		}
		if promKeywords[name] || slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// checkQuery fails unless expr reads at least one metric and every metric
// it reads is one the bridge registers.
func checkQuery(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	names := promMetrics(expr)
	if len(names) == 0 {
		t.Errorf("%s: query %q reads no metric", where, expr)
	}
	for _, name := range names {
		if !known[name] {
			t.Errorf("%s: query %q reads %s, which the bridge does not register (renamed?)", where, expr, name)
		}
	}
}
