package docs

// The tests of this file hold the editors' JSON Schemas of docs/schemas/ to
// the loaders: every file the loader accepts that we ship validates, the
// keys each schema lists at each level are the keys the loader knows there
// (both ways), and what the loader refuses for a wrong key or value the
// schema refuses too.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/transform"
)

const (
	mappingSchemaFile = "schemas/mapping.schema.json"
	configSchemaFile  = "schemas/config.schema.json"
	exampleConfigFile = "../examples/bridge.yaml"
)

// modeline is the first line of a shipped file whose schema is at path,
// relative to the file.
func modeline(t *testing.T, file, schema string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(schema)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	return "# yaml-language-server: $schema=" + filepath.ToSlash(rel)
}

// compileSchema compiles a schema of docs/schemas, checked against its
// meta-schema (draft 2020-12) on the way.
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if s, _ := doc.(map[string]any)["$schema"].(string); s != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("%s: $schema is %q, want draft 2020-12", path, s)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s does not compile: %v", path, err)
	}
	return sch
}

// schemaDoc is a schema file as a plain JSON tree, for reading its keys.
func schemaDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // defaults compare as written
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// at follows a path of object keys (and list indexes as ints) in a JSON tree.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok || m[p] == nil {
				t.Fatalf("schema: no %q at %v", p, path[:i])
			}
			v = m[p]
		case int:
			l, ok := v.([]any)
			if !ok || p >= len(l) {
				t.Fatalf("schema: no [%d] at %v", p, path[:i])
			}
			v = l[p]
		}
	}
	return v
}

// propertyNames lists the keys of the "properties" object at path, sorted.
func propertyNames(t *testing.T, doc any, path ...any) []string {
	t.Helper()
	props, ok := at(t, doc, append(path, "properties")...).(map[string]any)
	if !ok {
		t.Fatalf("schema: properties at %v is not an object", path)
	}
	return sortedKeys(props)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("schema: %v is not a list", v)
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], ok = e.(string); !ok {
			t.Fatalf("schema: %v is not a list of strings", v)
		}
	}
	sort.Strings(out)
	return out
}

// yamlJSON reads YAML text as the JSON value an editor's YAML language
// server validates.
func yamlJSON(t *testing.T, name string, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func TestSchemasCompile(t *testing.T) {
	for _, path := range []string{mappingSchemaFile, configSchemaFile} {
		t.Run(filepath.Base(path), func(t *testing.T) { compileSchema(t, path) })
	}
}

// mappingFilesToValidate returns every shipped mapping file and every
// mapping file under internal/*/testdata that transform.Parse loads
// without a problem, with its text.
func mappingFilesToValidate(t *testing.T) map[string][]byte {
	t.Helper()
	shipped, err := filepath.Glob("../mappings/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) == 0 {
		t.Fatal("no shipped mapping files in ../mappings")
	}
	var testdata []string
	for _, pattern := range []string{"../internal/*/testdata/*.yaml", "../internal/*/testdata/*/*.yaml", "../internal/*/testdata/*.yml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		testdata = append(testdata, m...)
	}
	out := map[string][]byte{}
	for _, path := range append(shipped, testdata...) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		opts := transform.Options{PlaceholderSecrets: true}
		if slices.Contains(shipped, path) {
			opts.SchemasDir = "../schemas"
		}
		if _, problems := transform.Parse(path, data, opts); len(problems) > 0 {
			if slices.Contains(shipped, path) {
				t.Fatalf("shipped mapping %s does not load: %v", path, problems[0])
			}
			continue // not a mapping file, or one written to fail
		}
		out[path] = data
	}
	if _, ok := out["../internal/transform/testdata/shop.yaml"]; !ok {
		t.Fatal("internal/transform/testdata/shop.yaml does not load: the test would check only the shipped files")
	}
	return out
}

// Every shipped mapping file names the schema on its first line, and it and
// every mapping file of the tests that loads validates against it.
func TestMappingFilesMatchTheSchema(t *testing.T) {
	sch := compileSchema(t, mappingSchemaFile)
	files := mappingFilesToValidate(t)
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for p := range files {
			if !yield(p) {
				return
			}
		}
	}) {
		t.Run(strings.TrimPrefix(path, "../"), func(t *testing.T) {
			data := files[path]
			if strings.HasPrefix(path, "../mappings/") {
				first, _, _ := strings.Cut(string(data), "\n")
				if want := modeline(t, path, mappingSchemaFile); first != want {
					t.Errorf("first line is %q, want %q", first, want)
				}
			}
			if err := sch.Validate(yamlJSON(t, path, data)); err != nil {
				t.Errorf("the loader accepts %s, the schema does not: %v", path, err)
			}
		})
	}
	t.Logf("%d mapping files validated", len(files))
}

// loadConfig runs config.Load on args with an empty environment.
func loadConfig(args ...string) (config.Config, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, func(string) (string, bool) { return "", false })
}

// The example config file names the schema on its first line, loads as
// `bridge run --config examples/bridge.yaml` reads it, and validates.
func TestExampleConfigMatchesTheSchema(t *testing.T) {
	sch := compileSchema(t, configSchemaFile)
	data, err := os.ReadFile(exampleConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if want := modeline(t, exampleConfigFile, configSchemaFile); first != want {
		t.Errorf("%s: first line is %q, want %q", exampleConfigFile, first, want)
	}
	cfg, err := loadConfig("--config", exampleConfigFile)
	if err != nil {
		t.Fatalf("config.Load refuses %s: %v", exampleConfigFile, err)
	}
	if cfg.File != exampleConfigFile || cfg.EventsAuth != "none" || cfg.EventsAuthSource == "" {
		t.Errorf("%s: file %q, events auth %q from %q: want the file read and events.auth: none written in it", exampleConfigFile, cfg.File, cfg.EventsAuth, cfg.EventsAuthSource)
	}
	if err := sch.Validate(yamlJSON(t, exampleConfigFile, data)); err != nil {
		t.Errorf("%s does not match %s: %v", exampleConfigFile, configSchemaFile, err)
	}
}

var unknownKeyRE = regexp.MustCompile(`^unknown key "zz_unknown" in (.+) \(known keys: (.+)\)$`)

// knownKeys parses a mapping that has the key zz_unknown at some level and
// returns the keys the loader says it knows there.
func knownKeys(t *testing.T, text string) (string, []string) {
	t.Helper()
	_, problems := transform.Parse("drift.yaml", []byte(text), transform.Options{PlaceholderSecrets: true})
	for _, p := range problems {
		if m := unknownKeyRE.FindStringSubmatch(p.Msg); m != nil {
			keys := strings.Split(m[2], ", ")
			sort.Strings(keys)
			return m[1], keys
		}
	}
	t.Fatalf("the loader did not refuse zz_unknown in:\n%s\nproblems: %v", text, problems)
	return "", nil
}

// The keys of each level of mapping.schema.json are the keys the loader
// knows there, both ways: a key the loader learns, or one the schema lists
// that the loader refuses, fails here.
func TestMappingSchemaKeysAreTheLoaders(t *testing.T) {
	doc := schemaDoc(t, mappingSchemaFile)
	cases := []struct {
		name    string
		mapping string
		where   string // what the loader calls the level
		schema  []any  // the schema object whose properties list its keys
	}{
		{"file", "zz_unknown: 1\nprovider: p\n", "mapping file", nil},
		{"webhook", "provider: p\nwebhook: {zz_unknown: 1}\n", "webhook", []any{"$defs", "webhook"}},
		{"rules[]", "provider: p\nrules: [{zz_unknown: 1}]\n", "rule 0", []any{"$defs", "rule"}},
		{"rules[].tests[]", "provider: p\nrules: [{when: true, drop: true, tests: [{zz_unknown: 1}]}]\n", "tests[0]", []any{"$defs", "fixture"}},
		{"webhook.signature of an unknown scheme", "provider: p\nwebhook: {signature: {scheme: zz, zz_unknown: 1}}\n", "webhook.signature", []any{"$defs", "signature"}},
		{"backfill", "provider: p\nbackfill: {zz_unknown: 1}\n", "backfill", []any{"$defs", "backfill"}},
		{"backfill.auth", "provider: p\nbackfill: {auth: {zz_unknown: 1}}\n", "backfill.auth", []any{"$defs", "backfillAuth"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			where, loader := knownKeys(t, tc.mapping)
			if where != tc.where {
				t.Fatalf("the loader refused zz_unknown in %q, want %q", where, tc.where)
			}
			schema := propertyNames(t, doc, tc.schema...)
			if d := keyDiff("the loader", loader, "the schema", schema); d != "" {
				t.Errorf("%s: %s", tc.name, d)
			}
			if ap, _ := at(t, doc, append(tc.schema, "additionalProperties")...).(bool); ap {
				t.Errorf("%s: the schema allows other keys; the loader refuses them", tc.name)
			}
		})
	}

	// webhook.signature: the keys each scheme takes are those of the
	// schema's branch for it.
	branches := map[string][]string{}
	for _, b := range at(t, doc, "$defs", "signature", "allOf").([]any) {
		scheme := at(t, b, "if", "properties", "scheme", "const").(string)
		branches[scheme] = strs(t, at(t, b, "then", "propertyNames", "enum"))
	}
	if got, want := strs(t, at(t, doc, "$defs", "signature", "properties", "scheme", "enum")), signature.Schemes(); !slices.Equal(got, want) {
		t.Errorf("the schema's schemes are %v, the loader's %v", got, want)
	}
	if got := sortedKeys(anyMap(branches)); !slices.Equal(got, signature.Schemes()) {
		t.Errorf("the schema has branches for the schemes %v, the loader knows %v", got, signature.Schemes())
	}
	for _, scheme := range signature.Schemes() {
		t.Run("webhook.signature for scheme "+scheme, func(t *testing.T) {
			where, loader := knownKeys(t, fmt.Sprintf("provider: p\nwebhook: {signature: {scheme: %s, zz_unknown: 1}}\n", scheme))
			if want := "webhook.signature for scheme " + scheme; where != want {
				t.Fatalf("the loader refused zz_unknown in %q, want %q", where, want)
			}
			if d := keyDiff("the loader", loader, "the schema's branch", branches[scheme]); d != "" {
				t.Errorf("scheme %s: %s", scheme, d)
			}
		})
	}
}

// keyDiff says which keys only one of two sorted lists has; "" when they
// are equal.
func keyDiff(aName string, a []string, bName string, b []string) string {
	var onlyA, onlyB []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			onlyA = append(onlyA, k)
		}
	}
	for _, k := range b {
		if !slices.Contains(a, k) {
			onlyB = append(onlyB, k)
		}
	}
	var out []string
	if len(onlyA) > 0 {
		out = append(out, fmt.Sprintf("%s has %v, %s does not", aName, onlyA, bName))
	}
	if len(onlyB) > 0 {
		out = append(out, fmt.Sprintf("%s has %v, %s does not", bName, onlyB, aName))
	}
	return strings.Join(out, "; ")
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// The maps whose keys are the user's own (secrets, let, data, a fixture's
// headers) take any key, in the loader and in the schema.
func TestMappingSchemaFreeMaps(t *testing.T) {
	sch := compileSchema(t, mappingSchemaFile)
	text := `provider: p
module: m
accepts: [nats]
secrets: {zz_unknown: '${ZZ}'}
let: {zz_unknown: payload.x}
rules:
  - when: true
    entity_type: t
    event_name: e
    entity_id: payload.id
    source: '"https://example.com/" + payload.id'
    data:
      zz_unknown: zz_unknown
      nested: {zz_unknown: [payload.a, {zz_unknown: 1}]}
    tests:
      - payload: p.json
        headers: {zz_unknown: v}
        expect: e.json
`
	if _, problems := transform.Parse("free.yaml", []byte(text), transform.Options{PlaceholderSecrets: true}); len(problems) > 0 {
		t.Fatalf("the loader refuses it: %v", problems)
	}
	if err := sch.Validate(yamlJSON(t, "free.yaml", []byte(text))); err != nil {
		t.Errorf("the loader accepts it, the schema does not: %v", err)
	}
}

// Mappings the loader refuses for a wrong key or value, the schema refuses
// too, naming what is wrong; the variants it accepts, the schema accepts.
func TestMappingSchemaAgreesWithTheLoader(t *testing.T) {
	sch := compileSchema(t, mappingSchemaFile)
	const head = "provider: p\nmodule: m\n"
	const sig = "webhook: {signature: {scheme: none}}\n"
	const key = "idempotency_key: payload.id\n"
	const rule = "rules:\n  - name: r\n    when: true\n    entity_type: t\n    event_name: e\n    entity_id: payload.id\n    source: '\"https://example.com/x\"'\n"
	cases := []struct {
		name    string
		mapping string
		schema  string // what the schema's error names (the key or the place); "" when both accept it
	}{
		{"the shape of a valid file", head + sig + rule, ""},
		{"a typo key in a rule", head + sig + rule + "    entitytype: t\n", "entitytype"},
		{"a typo key at the top", head + sig + "idempotency: payload.id\n" + rule, "idempotency"},
		{"a key the scheme does not take", head + "webhook: {signature: {scheme: stripe, secret: '${S}', header: X-Sig}}\n" + rule, "header"},
		{"an unknown scheme", head + "webhook: {signature: {scheme: sha1, secret: '${S}'}}\n" + rule, "/webhook/signature/scheme"},
		{"a scheme without a secret", head + "webhook: {signature: {scheme: github}}\n" + rule, "secret"},
		{"a literal secret", head + "webhook: {signature: {scheme: github, secret: hunter2}}\n" + rule, "hunter2"},
		{"hmac without its header", head + "webhook: {signature: {scheme: hmac, secret: '${S}'}}\n" + rule, "header"},
		{"hmac with an unknown algorithm", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, algorithm: sha1}}\n" + rule, "/webhook/signature/algorithm"},
		{"hmac signing a timestamp without its header", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: timestamp+body}}\n" + rule, "timestamp_header"},
		{"hmac with a separator but no timestamp", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, separator: ':'}}\n" + rule, "separator"},
		{"hmac signing a timestamp", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: timestamp+body, timestamp_header: X-Ts, separator: ':'}}\n" + rule, ""},
		{"hmac signing an expression", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: 'sig.t + \".\" + body', mac: sig.v1, timestamp: sig.t}}\n" + rule, ""},
		{"hmac signing an expression with a timestamp header", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: 'headers[\"X-Ts\"] + body', timestamp_header: X-Ts}}\n" + rule, ""},
		{"hmac with a mac part but timestamp+body", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: timestamp+body, timestamp_header: X-Ts, mac: sig.v1}}\n" + rule, "mac"},
		{"hmac with a timestamp header but only the body", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, timestamp_header: X-Ts}}\n" + rule, "timestamp_header"},
		{"hmac with two timestamps", head + "webhook: {signature: {scheme: hmac, secret: '${S}', header: X-Sig, signed: 'sig.t + body', timestamp: sig.t, timestamp_header: X-Ts}}\n" + rule, "timestamp_header"},
		{"a bad tolerance", head + "webhook: {signature: {scheme: stripe, secret: '${S}', tolerance: soon}}\n" + rule, "soon"},
		{"a zero tolerance", head + "webhook: {signature: {scheme: stripe, secret: '${S}', tolerance: 0s}}\n" + rule, "tolerance"},
		{"an unknown ingest", head + "accepts: [webhook, sqs]\n" + sig + rule, "/accepts/1"},
		{"no ingestor", head + rule, "webhook"},
		{"webhooks without a signature", head + "accepts: [webhook]\nwebhook: {content_types: [application/json]}\n" + rule, "signature"},
		{"NATS only, no webhook block", head + "accepts: [nats]\n" + rule, ""},
		{"an unknown content type", head + "webhook: {signature: {scheme: none}, content_types: [text/plain]}\n" + rule, "/webhook/content_types/0"},
		{"a provider in upper case", "provider: Stripe\nmodule: m\n" + sig + rule, "Stripe"},
		{"no rules", head + sig + "rules: []\n", "rules"},
		{"a rule without when", head + sig + "rules:\n  - name: r\n    drop: true\n", "when"},
		{"a rule without its event", head + sig + "rules:\n  - name: r\n    when: true\n", "entity_type"},
		{"a drop rule", head + sig + "rules:\n  - name: ping\n    when: payload.kind == \"ping\"\n    drop: true\n", ""},
		{"a drop rule with data", head + sig + "rules:\n  - name: ping\n    when: true\n    drop: true\n    data: {a: payload.a}\n", "data"},
		{"no module anywhere", "provider: p\n" + sig + rule, "module"},
		{"the module in the rule", "provider: p\n" + sig + rule + "    module: m\n", ""},
		{"an empty expression", head + sig + rule + "    time: ' '\n", "time"},
		{"a let that hides payload", head + sig + "let: {payload: payload.x}\n" + rule, "payload"},
		{"a fixture without expect", head + sig + rule + "    tests: [{payload: p.json}]\n", "expect"},
		{"a fixture expecting a dead letter", head + sig + rule + "    tests: [{payload: p.json, expect_dead_letter: no_rule}]\n", ""},
		{"a fixture expecting an unknown dead letter", head + sig + rule + "    tests: [{payload: p.json, expect_dead_letter: lost}]\n", "expect_dead_letter"},
		{"a fixture expecting output and a dead letter", head + sig + rule + "    tests: [{payload: p.json, expect: e.json, expect_dead_letter: no_rule}]\n", "tests/0"},
		{"a backfill block", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events, auth: {bearer: '${K}'}, query: {limit: '\"100\"', since: string(since.Unix())}, items: page.data, next: 'page.has_more ? {\"starting_after\": page.data[0].id} : nil'}\n", ""},
		{"a backfill to a local fake over http", head + key + sig + rule + "backfill: {url: 'http://127.0.0.1:8081/v1/events', items: page.data}\n", ""},
		{"a backfill over http beyond loopback", head + key + sig + rule + "backfill: {url: 'http://api.example.com/v1/events', items: page.data}\n", "/backfill/url"},
		{"a backfill without its url", head + key + sig + rule + "backfill: {items: page.data}\n", "url"},
		{"a backfill without items", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events}\n", "items"},
		{"a backfill with a literal API key", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events, items: page.data, auth: {bearer: sk_live_x}}\n", "sk_live_x"},
		{"a backfill with two kinds of auth", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events, items: page.data, auth: {bearer: '${K}', basic: ['${K}', '']}}\n", "/backfill/auth"},
		{"a backfill header without its value", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events, items: page.data, auth: {header: X-Api-Key}}\n", "value"},
		{"a backfill without an idempotency key", head + sig + rule + "backfill: {url: https://api.example.com/v1/events, items: page.data}\n", "idempotency_key"},
		{"a backfill with every rule keyed", head + sig + rule + "    idempotency_key: payload.id\nbackfill: {url: https://api.example.com/v1/events, items: page.data}\n", ""},
		{"a backfill with basic auth", head + key + sig + rule + "backfill: {url: https://api.example.com/v1/events, items: page.data, auth: {basic: [user, '${P}']}}\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := transform.Parse("case.yaml", []byte(tc.mapping), transform.Options{PlaceholderSecrets: true})
			err := sch.Validate(yamlJSON(t, "case.yaml", []byte(tc.mapping)))
			switch {
			case tc.schema == "" && len(problems) > 0:
				t.Fatalf("the loader refuses it: %v", problems)
			case tc.schema == "" && err != nil:
				t.Errorf("the loader accepts it, the schema does not: %v", err)
			case tc.schema != "" && len(problems) == 0:
				t.Fatalf("the loader accepts it:\n%s", tc.mapping)
			case tc.schema != "" && err == nil:
				t.Errorf("the loader refuses it (%v), the schema accepts it", problems[0])
			case tc.schema != "" && !strings.Contains(err.Error(), tc.schema):
				t.Errorf("the schema's error does not name %q: %v", tc.schema, err)
			case tc.schema != "":
				t.Logf("loader: %v\nschema: %v", problems[0], err)
			}
		})
	}
}

// configSchemaKeys returns the config schema's keys flattened as the
// config file flattens them: nested ("nats: {url: ...}") and dotted
// ("nats.url: ...") at the top level.
func configSchemaKeys(t *testing.T, doc map[string]any) (nested, dotted []string) {
	t.Helper()
	props := at(t, doc, "properties").(map[string]any)
	for _, k := range sortedKeys(props) {
		p := props[k].(map[string]any)
		switch {
		case strings.Contains(k, "."):
			dotted = append(dotted, k)
			sec, name, _ := strings.Cut(k, ".")
			if ref, want := p["$ref"], "#/properties/"+sec+"/properties/"+name; ref != want {
				t.Errorf("%s: $ref is %v, want %s (the nested key)", k, ref, want)
			}
		case p["properties"] != nil:
			if p["additionalProperties"] != false {
				t.Errorf("section %s allows other keys; the config file refuses them", k)
			}
			for _, name := range propertyNames(t, p) {
				nested = append(nested, k+"."+name)
			}
		default:
			nested = append(nested, k)
		}
	}
	if doc["additionalProperties"] != false {
		t.Error("the config schema allows other top-level keys; the config file refuses them")
	}
	sort.Strings(nested)
	return nested, dotted
}

// The config schema's keys are config.Settings() keys, both ways, in both
// the nested and the dotted spelling, and each default it gives is the
// setting's.
func TestConfigSchemaKeysAreTheSettings(t *testing.T) {
	doc := schemaDoc(t, configSchemaFile)
	var settings, dottedSettings []string
	defaults := map[string]string{}
	for _, s := range config.Settings() {
		if s.Key == "" {
			continue // --config names the file
		}
		settings = append(settings, s.Key)
		if strings.Contains(s.Key, ".") {
			dottedSettings = append(dottedSettings, s.Key)
		}
		defaults[s.Key] = s.Default
	}
	sort.Strings(settings)
	sort.Strings(dottedSettings)
	nested, dotted := configSchemaKeys(t, doc)
	if d := keyDiff("config.Settings()", settings, "the schema (nested)", nested); d != "" {
		t.Error(d)
	}
	if d := keyDiff("config.Settings()", dottedSettings, "the schema (dotted)", dotted); d != "" {
		t.Error(d)
	}
	for _, key := range nested {
		path := []any{"properties", key}
		if sec, name, ok := strings.Cut(key, "."); ok {
			path = []any{"properties", sec, "properties", name}
		}
		p := at(t, doc, path...).(map[string]any)
		if d, ok := p["default"]; ok && fmt.Sprint(d) != defaults[key] {
			t.Errorf("%s: the schema's default is %v, the setting's %q", key, d, defaults[key])
		}
		if _, ok := p["default"]; !ok && defaults[key] != "" {
			t.Errorf("%s: the schema gives no default, the setting's is %q", key, defaults[key])
		}
	}
}

// A config file that sets every setting to its default, written as text,
// loads and validates; values config.Load refuses, the schema refuses.
func TestConfigSchemaAgreesWithTheLoader(t *testing.T) {
	sch := compileSchema(t, configSchemaFile)
	var all strings.Builder
	for _, s := range config.Settings() {
		if s.Key != "" && s.Default != "" {
			fmt.Fprintf(&all, "%s: %q\n", s.Key, s.Default)
		}
	}
	cases := []struct {
		name, file string
		bad        bool
	}{
		{"every default, dotted, as strings", all.String(), false},
		{"nested, typed", "nats:\n  replicas: 1\n  url:\nstream:\n  manage: false\n  max_bytes: 50GiB\n  max_age: 0\nwebhook:\n  rate_limit: 0.5\n  body_limit: 1048576\nlog:\n  level: DEBUG\n", false},
		{"a list of URLs", "nats:\n  url: [nats://n1:4222, nats://n2:4222]\n", false},
		{"an empty section", "tracing:\n", false},
		{"an unknown key", "nats:\n  ur: nats://n1:4222\n", true},
		{"an unknown section", "natz:\n  url: nats://n1:4222\n", true},
		{"a word for a number", "nats.replicas: three\n", true},
		{"a fraction of a size", "webhook.body_limit: 1.5MiB\n", true},
		{"a bare number for a duration", "shutdown.grace: 30\n", true},
		{"sync 0", "nats.sync: 0\n", true},
		{"an unknown events auth", "events.auth: open\n", true},
		{"an unknown log level", "log.level: verbose\n", true},
		{"a boolean spelled maybe", "stream.manage: maybe\n", true},
		{"a list where one value goes", "webhook.timeout: [10s, 20s]\n", true},
		{"a section given a value", "nats: nats://n1:4222\n", true},
		{"too many replicas", "nats.replicas: 9\n", true},
		{"a ratio above 1", "tracing.sample_ratio: 1.5\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bridge.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, loadErr := loadConfig("--config", path)
			err := sch.Validate(yamlJSON(t, path, []byte(tc.file)))
			switch {
			case !tc.bad && loadErr != nil:
				t.Fatalf("config.Load refuses it: %v", loadErr)
			case !tc.bad && err != nil:
				t.Errorf("config.Load accepts it, the schema does not: %v", err)
			case tc.bad && loadErr == nil:
				t.Fatalf("config.Load accepts it:\n%s", tc.file)
			case tc.bad && err == nil:
				t.Errorf("config.Load refuses it (%v), the schema accepts it", loadErr)
			}
		})
	}
}

var yamlBlockRE = regexp.MustCompile("(?ms)^```ya?ml\n(.*?)^```")

// The mapping files the docs show (a ```yaml block that starts with
// provider:; one without rules is given a rule) are judged alike by the
// loader and the schema: both accept it, or both refuse it (the docs show
// wrong files on purpose, to show the errors).
func TestDocsMappingExamplesAgreeWithTheSchema(t *testing.T) {
	sch := compileSchema(t, mappingSchemaFile)
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	const rule = "rules:\n  - name: r\n    when: true\n    entity_type: t\n    event_name: e\n    entity_id: payload.id\n    source: '\"https://example.com/x\"'\n"
	seen := 0
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range yamlBlockRE.FindAllSubmatchIndex(data, -1) {
			block := string(data[m[2]:m[3]])
			if !regexp.MustCompile(`^(#[^\n]*\n)*provider:`).MatchString(block) {
				continue
			}
			if !strings.Contains(block, "\nrules:") {
				block += rule
			}
			seen++
			name := fmt.Sprintf("%s:%d", page, bytes.Count(data[:m[0]], []byte("\n"))+1)
			t.Run(name, func(t *testing.T) {
				_, problems := transform.Parse(name, []byte(block), transform.Options{PlaceholderSecrets: true})
				err := sch.Validate(yamlJSON(t, name, []byte(block)))
				switch {
				case len(problems) == 0 && err != nil:
					t.Errorf("the loader accepts it, the schema does not: %v", err)
				case len(problems) > 0 && err == nil:
					t.Errorf("the loader refuses it (%v), the schema accepts it", problems[0])
				case len(problems) > 0:
					t.Logf("both refuse it; the loader: %v", problems[0])
				}
			})
		}
	}
	if seen == 0 {
		t.Fatal("no mapping file in the docs: the test checks nothing")
	}
}

// editorKeywords are the keywords draft 2020-12 shares with draft-07, whose
// meaning did not change, and the editors' markdownDescription: the YAML
// language server validates with draft-07 semantics, so a schema that keeps
// to these reads the same in an editor as in this test. ($defs is only a
// place $ref points to, by JSON pointer, which both drafts follow.)
var editorKeywords = map[string]bool{
	"$schema": true, "$ref": true, "$comment": true, "$defs": true,
	"title": true, "description": true, "markdownDescription": true, "default": true,
	"type": true, "enum": true, "const": true, "format": true,
	"properties": true, "additionalProperties": true, "required": true, "propertyNames": true,
	"items": true, "minItems": true, "contains": true,
	"minLength": true, "maxLength": true, "pattern": true, "minimum": true, "maximum": true,
	"allOf": true, "anyOf": true, "not": true, "if": true, "then": true, "else": true,
}

// Both schemas keep to the keywords editors know, so that what this file
// tests is what an editor checks.
func TestSchemasUseKeywordsEditorsKnow(t *testing.T) {
	for _, path := range []string{mappingSchemaFile, configSchemaFile} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var walk func(at string, s any)
			walk = func(at string, s any) {
				m, ok := s.(map[string]any)
				if !ok {
					if _, isBool := s.(bool); !isBool {
						t.Errorf("%s: a schema must be an object or a boolean, got %T", at, s)
					}
					return
				}
				for _, k := range sortedKeys(m) {
					v := m[k]
					if !editorKeywords[k] {
						t.Errorf("%s: keyword %q is not one the editors' draft-07 validators know the same way", at, k)
					}
					switch k {
					case "properties", "$defs":
						for _, name := range sortedKeys(v.(map[string]any)) {
							walk(at+"/"+k+"/"+name, v.(map[string]any)[name])
						}
					case "items", "additionalProperties", "not", "if", "then", "else", "propertyNames", "contains":
						walk(at+"/"+k, v)
					case "allOf", "anyOf":
						for i, e := range v.([]any) {
							walk(fmt.Sprintf("%s/%s/%d", at, k, i), e)
						}
					}
				}
			}
			walk("#", schemaDoc(t, path))
		})
	}
}

// The config files docs/configuration.md shows (its ```yaml blocks) load,
// and validate against the config schema.
func TestDocsConfigExamplesMatchTheSchema(t *testing.T) {
	sch := compileSchema(t, configSchemaFile)
	data, err := os.ReadFile("configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlockRE.FindAllSubmatchIndex(data, -1)
	if len(blocks) < 2 {
		t.Fatalf("configuration.md shows %d config files, want the nested and the dotted example at least", len(blocks))
	}
	for _, m := range blocks {
		block := data[m[2]:m[3]]
		name := fmt.Sprintf("configuration.md:%d", bytes.Count(data[:m[0]], []byte("\n"))+1)
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bridge.yaml")
			if err := os.WriteFile(path, block, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := loadConfig("--config", path); err != nil {
				t.Errorf("config.Load refuses it: %v", err)
			}
			if err := sch.Validate(yamlJSON(t, name, block)); err != nil {
				t.Errorf("the schema refuses it: %v", err)
			}
		})
	}
}
