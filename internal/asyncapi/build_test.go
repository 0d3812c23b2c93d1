package asyncapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/transform"
)

var update = flag.Bool("update", false, "rewrite testdata/asyncapi.golden.yaml")

const (
	shippedMappings = "../../mappings"
	shippedSchemas  = "../../schemas"
	goldenFile      = "testdata/asyncapi.golden.yaml"
)

// load loads a mapping set as the tools do (placeholder secrets).
func load(t *testing.T, mappings, schemas string) *transform.Set {
	t.Helper()
	set, err := transform.Load(mappings, transform.Options{SchemasDir: schemas, PlaceholderSecrets: true})
	if err != nil {
		t.Fatalf("load %s: %v", mappings, err)
	}
	return set
}

// build builds set's document and returns it as JSON and YAML.
func build(t *testing.T, set *transform.Set, opts Options) (jsonDoc, yamlDoc []byte) {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "test"
	}
	doc, err := Build(set, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if jsonDoc, err = doc.JSON(); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if yamlDoc, err = doc.YAML(); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	return jsonDoc, yamlDoc
}

// officialSchema compiles the official AsyncAPI 3.0.0 JSON Schema, offline:
// the compiler loads nothing it was not given.
func officialSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/asyncapi-3.0.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	const id = "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile the AsyncAPI schema: %v", err)
	}
	return sch
}

// decodeJSON decodes a document for jsonschema and for the assertions.
func decodeJSON(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("the JSON document does not parse: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("the document is a %T", v)
	}
	return m
}

// decodeYAML decodes a YAML document into the same values as decodeJSON.
func decodeYAML(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatalf("the YAML document does not parse: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("the YAML document is not JSON data: %v", err)
	}
	return decodeJSON(t, j)
}

// checkRefs fails for every "$ref" to a place of the document that does
// not exist (the AsyncAPI schema checks their form, not their target).
func checkRefs(t *testing.T, doc map[string]any) {
	t.Helper()
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if r, ok := e.(string); ok && k == "$ref" && strings.HasPrefix(r, "#") {
					if _, ok := pointer(doc, r); !ok {
						t.Errorf("%s: $ref %q points at nothing", at, r)
					}
				}
				walk(e, at+"/"+k)
			}
		case []any:
			for _, e := range v {
				walk(e, at+"/[]")
			}
		}
	}
	walk(doc, "#")
}

// pointer resolves a "#/a/0/b" JSON pointer in doc.
func pointer(doc any, ref string) (any, bool) {
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func TestDocumentIsValidAsyncAPI(t *testing.T) {
	sch := officialSchema(t)
	acme, acmeSchemas := writeSet(t)
	tests := []struct {
		name     string
		mappings string
		schemas  string
		opts     Options
	}{
		{name: "shipped mappings, embedded server", mappings: shippedMappings, schemas: shippedSchemas},
		{name: "shipped mappings, cluster", mappings: shippedMappings, schemas: shippedSchemas,
			opts: Options{NATSURLs: []string{"nats://n1.example.com:4222", "tls://user:pw@n2.example.com:4222", "n3.example.com:4222"}}},
		{name: "shipped mappings without schemas", mappings: shippedMappings, schemas: t.TempDir()},
		{name: "rules sharing a type", mappings: acme, schemas: acmeSchemas},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jsonDoc, yamlDoc := build(t, load(t, tc.mappings, tc.schemas), tc.opts)
			fromJSON, fromYAML := decodeJSON(t, jsonDoc), decodeYAML(t, yamlDoc)
			if err := sch.Validate(fromJSON); err != nil {
				t.Errorf("the JSON document is not valid AsyncAPI 3.0.0:\n%v", err)
			}
			if err := sch.Validate(fromYAML); err != nil {
				t.Errorf("the YAML document is not valid AsyncAPI 3.0.0:\n%v", err)
			}
			if !reflect.DeepEqual(fromJSON, fromYAML) {
				t.Error("the YAML and JSON documents differ")
			}
			checkRefs(t, fromJSON)
		})
	}
}

// TestOfficialSchemaRejects shows that the validation above can fail: the
// official schema refuses documents with the mistakes a generator could
// make.
func TestOfficialSchemaRejects(t *testing.T) {
	sch := officialSchema(t)
	jsonDoc, _ := build(t, load(t, shippedMappings, shippedSchemas), Options{})
	tests := []struct {
		name   string
		break_ func(doc map[string]any)
	}{
		{"wrong asyncapi version", func(d map[string]any) { d["asyncapi"] = "2.6.0" }},
		{"no info version", func(d map[string]any) { delete(d["info"].(map[string]any), "version") }},
		{"server without protocol", func(d map[string]any) {
			delete(d["servers"].(map[string]any)["nats"].(map[string]any), "protocol")
		}},
		{"operation with an unknown action", func(d map[string]any) {
			for _, op := range d["operations"].(map[string]any) {
				op.(map[string]any)["action"] = "publish"
			}
		}},
		{"channel address not a string", func(d map[string]any) {
			for _, ch := range d["channels"].(map[string]any) {
				ch.(map[string]any)["address"] = 42
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeJSON(t, jsonDoc)
			tc.break_(doc)
			if err := sch.Validate(doc); err == nil {
				t.Error("the broken document validates")
			}
		})
	}
}

func TestEveryTypeHasItsChannel(t *testing.T) {
	set := load(t, shippedMappings, shippedSchemas)
	jsonDoc, _ := build(t, set, Options{})
	doc := decodeJSON(t, jsonDoc)
	cat := set.Catalog()
	if len(cat) == 0 {
		t.Fatal("the shipped mappings emit no type")
	}
	channels := doc["channels"].(map[string]any)
	types := map[string]bool{}
	for _, e := range cat {
		types[e.Type] = true
		ch, ok := channels[e.Type].(map[string]any)
		if !ok {
			t.Errorf("%s (%s:%d): no channel", e.Type, e.File, e.Line)
			continue
		}
		if ch["address"] != e.Type {
			t.Errorf("%s: address %v, want the type (its subject)", e.Type, ch["address"])
		}
		msg, ok := pointer(doc, "#/components/messages/"+e.Type)
		if !ok {
			t.Errorf("%s: no message", e.Type)
			continue
		}
		if got, _ := pointer(msg, "#/payload/properties/type/const"); got != e.Type {
			t.Errorf("%s: payload type const %v", e.Type, got)
		}
		if got, _ := pointer(msg, "#/headers/properties/ce-type/const"); got != e.Type {
			t.Errorf("%s: ce-type const %v", e.Type, got)
		}
		if got, _ := pointer(msg, "#/contentType"); got != "application/cloudevents+json" {
			t.Errorf("%s: contentType %v", e.Type, got)
		}
		op, _ := pointer(doc, "#/operations/"+e.Type+"/action")
		if op != "send" {
			t.Errorf("%s: operation action %v, want send", e.Type, op)
		}
	}
	if len(channels) != len(types) {
		t.Errorf("%d channels for %d types", len(channels), len(types))
	}
}

func TestRuleSchemaIsData(t *testing.T) {
	set := load(t, shippedMappings, shippedSchemas)
	jsonDoc, _ := build(t, set, Options{})
	doc := decodeJSON(t, jsonDoc)
	withSchema := 0
	for _, e := range set.Catalog() {
		data, _ := pointer(doc, "#/components/messages/"+e.Type+"/payload/properties/data")
		if e.SchemaFile == "" {
			if got, _ := pointer(data, "#/type"); got != "object" {
				t.Errorf("%s: data without a schema is %v, want an object", e.Type, data)
			}
			continue
		}
		withSchema++
		r, _ := pointer(data, "#/$ref")
		ref, _ := r.(string)
		got, ok := pointer(doc, ref)
		if !ok {
			t.Errorf("%s: data is %v, want a $ref to its schema", e.Type, data)
			continue
		}
		want := decodeJSON(t, readFile(t, e.SchemaFile))
		delete(want, "$schema")
		delete(want, "$id")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: data's schema is not %s", e.Type, e.SchemaFile)
		}
		if title, ok := want["title"]; ok {
			if summary, _ := pointer(doc, "#/components/messages/"+e.Type+"/summary"); summary != title {
				t.Errorf("%s: message summary %v, want the schema's title %v", e.Type, summary, title)
			}
		}
		if dataschema, _ := pointer(doc, "#/components/messages/"+e.Type+"/payload/properties/dataschema/const"); dataschema != e.DataSchema {
			t.Errorf("%s: dataschema const %v, want %s", e.Type, dataschema, e.DataSchema)
		}
	}
	if withSchema == 0 {
		t.Fatal("no shipped rule has a schema: the test proves nothing")
	}
}

func TestGolden(t *testing.T) {
	_, yamlDoc := build(t, load(t, shippedMappings, shippedSchemas), Options{})
	if *update {
		if err := os.WriteFile(goldenFile, yamlDoc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, goldenFile)
	if !bytes.Equal(yamlDoc, want) {
		t.Errorf("the document of the shipped mappings differs from %s (go test ./internal/asyncapi -update rewrites it):\n%s", goldenFile, firstDiff(want, yamlDoc))
	}
}

// firstDiff is the first line where got differs from want.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n want " + wl + "\n got  " + gl
		}
	}
	return ""
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeSet writes a mapping set with what the shipped one lacks: two rules
// emitting one type with different schemas, a schema with references
// within itself and to another file, a rule without a schema, and
// comments. It returns the mappings and the schemas directories.
func writeSet(t *testing.T) (mappings, schemas string) {
	t.Helper()
	dir := t.TempDir()
	mappings, schemas = filepath.Join(dir, "mappings"), filepath.Join(dir, "schemas")
	files := map[string]string{
		"mappings/acme.yaml": `# Acme's webhooks.
#
# Two paragraphs.
provider: acme
module: shop
webhook:
  signature: {scheme: none}
rules:
  # An order paid by card.
  - name: card
    when: payload.kind == "card"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://acme.example.com/orders/" + payload.id'
    schema: card.json
    data:
      amount: payload.amount
  # An order paid by Pix.
  - name: pix
    when: payload.kind == "pix"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://acme.example.com/orders/" + payload.id'
    schema: pix.json
    data:
      amount: payload.amount
  - name: refunded
    when: payload.kind == "refund"
    entity_type: order
    event_name: refunded
    entity_id: payload.id
    source: '"https://acme.example.com/orders/" + payload.id'
    data:
      amount: payload.amount
`,
		"mappings/card.json": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://schemas.example.com/acme/card.json",
  "type": "object", "properties": {"amount": {"$ref": "#/$defs/amount"}, "customer": {"$ref": "customer.json"}},
  "$defs": {"amount": {"type": "integer", "minimum": 0}}}`,
		"mappings/pix.json": `{"type": "object", "properties": {"amount": {"type": "integer"}}}`,
		"schemas/schemas.example.com/acme/customer.json": `{"type": "string"}`,
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mappings, schemas
}

func TestBuildDescribesEachRule(t *testing.T) {
	mappings, schemas := writeSet(t)
	set := load(t, mappings, schemas)
	jsonDoc, _ := build(t, set, Options{NATSURLs: []string{"nats://alice:s3cret@nats.example.com:4222"}})
	if bytes.Contains(jsonDoc, []byte("s3cret")) || bytes.Contains(jsonDoc, []byte("alice")) {
		t.Error("the document shows a NATS URL's user information")
	}
	doc := decodeJSON(t, jsonDoc)
	tests := []struct {
		name, at string
		want     any
	}{
		{"server host", "#/servers/nats/host", "nats.example.com:4222"},
		{"server protocol", "#/servers/nats/protocol", "nats"},
		{"both rules' card schema", "#/components/messages/event.acme.shop.order.paid/payload/properties/data/oneOf/0/$ref", "#/components/schemas/card"},
		{"both rules' pix schema", "#/components/messages/event.acme.shop.order.paid/payload/properties/data/oneOf/1/$ref", "#/components/schemas/pix"},
		{"reference within the schema", "#/components/schemas/card/properties/amount/$ref", "#/components/schemas/card/$defs/amount"},
		{"reference to another file", "#/components/schemas/card/properties/customer/$ref", "https://schemas.example.com/acme/customer.json"},
		{"no $schema", "#/components/schemas/card/$schema", nil},
		{"no $id", "#/components/schemas/card/$id", nil},
		{"data without a schema", "#/components/messages/event.acme.shop.order.refunded/payload/properties/data/type", "object"},
		{"no dataschema without one", "#/components/messages/event.acme.shop.order.refunded/payload/properties/dataschema", nil},
		{"subject pattern", "#/components/messages/event.acme.shop.order.paid/payload/properties/subject/pattern",
			"^order/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
		{"no flowid for a webhook-only file", "#/components/messages/event.acme.shop.order.paid/payload/properties/flowid", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pointer(doc, tc.at)
			if tc.want == nil {
				if ok {
					t.Errorf("%s is %v, want absent", tc.at, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("%s = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
	tags, _ := pointer(doc, "#/info/tags")
	if tl, _ := tags.([]any); len(tl) != 1 || tl[0].(map[string]any)["description"] != "Acme's webhooks.\n\nTwo paragraphs." {
		t.Errorf("info.tags = %v, want acme with its file's comment", tags)
	}
	desc, _ := pointer(doc, "#/channels/event.acme.shop.order.paid/description")
	for _, want := range []string{"An order paid by card.", "An order paid by Pix.", `rule "card" of acme.yaml (line 10)`, `rule "pix" of acme.yaml (line 20)`} {
		if s, _ := desc.(string); !strings.Contains(s, want) {
			t.Errorf("channel description %q lacks %q", desc, want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	set := load(t, shippedMappings, shippedSchemas)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"bad listen address", Options{NATSListen: "no-port"}, `nats listen address "no-port"`},
		{"bad url, password not shown", Options{NATSURLs: []string{"nats://u:p%zz@host:4222"}}, "nats url 1 of 1: not a URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(set, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "p%zz") {
				t.Errorf("the error shows the URL's password: %v", err)
			}
		})
	}
	if _, err := Build(nil, Options{}); err == nil {
		t.Error("Build(nil) succeeded")
	}
	t.Run("mapping file gone since the load", func(t *testing.T) {
		dir, schemas := writeSet(t)
		set := load(t, dir, schemas)
		if err := os.Remove(filepath.Join(dir, "acme.yaml")); err != nil {
			t.Fatal(err)
		}
		_, err := Build(set, Options{})
		if err == nil || !strings.Contains(err.Error(), "mapping file") || !strings.Contains(err.Error(), "acme.yaml") {
			t.Fatalf("err = %v, want one naming acme.yaml", err)
		}
	})
	t.Run("schema file gone since the load", func(t *testing.T) {
		dir, schemas := writeSet(t)
		set := load(t, dir, schemas)
		if err := os.Remove(filepath.Join(dir, "card.json")); err != nil {
			t.Fatal(err)
		}
		_, err := Build(set, Options{})
		if err == nil || !strings.Contains(err.Error(), "card.json") || !strings.Contains(err.Error(), "event.acme.shop.order.paid") {
			t.Fatalf("err = %v, want one naming the type and card.json", err)
		}
	})
}

// BenchmarkBuild builds and encodes the document of the shipped mappings,
// what the handler does once per mapping set.
func BenchmarkBuild(b *testing.B) {
	set, err := transform.Load(shippedMappings, transform.Options{SchemasDir: shippedSchemas, PlaceholderSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Build(set, Options{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := doc.YAML(); err != nil {
			b.Fatal(err)
		}
	}
}
