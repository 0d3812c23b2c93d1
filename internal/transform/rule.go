package transform

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/expr-lang/expr"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/deadletter"
)

// Rule is one compiled rule of a mapping file.
type Rule struct {
	Name       string // the rule's name, or its index when it has none
	Line       int    // line of the rule in its file
	Drop       bool
	Type       string // event.<provider>.<module>.<entity_type>.<event_name>; empty for drop rules
	EntityType string
	DataSchema string
	SchemaFile string // the JSON Schema `data` is validated against; "" for none
	// SchemaUnknown is, for a mapping loaded with Options.SchemasOf (the
	// playground), the schema file a dataschema names that the running set
	// did not load: data is not validated here, though the file may exist.
	SchemaUnknown string
	Tests         []Fixture

	node     *yaml.Node
	when     *program
	each     *program
	idemKey  *program
	entityID *program
	source   *program
	time     *program
	data     *dataNode
	// dataKeys are the keys of the event data a map-shaped data tree
	// makes, sorted: the order the data is written in.
	dataKeys []string
	schema   *jsonschema.Schema
	check    *schemaCheck // schema's check, compiled with it
	// dataSchemaURI is DataSchema parsed once, for the event's context.
	dataSchemaURI *types.URI
	// dataSchemaText is dataSchemaURI as the event writes it.
	dataSchemaText string
}

// Fixture is one of a rule's `tests:` entries, paths resolved against the
// mapping file's directory.
type Fixture struct {
	Payload string
	Headers map[string]string
	Query   map[string]string // the webhook URL's query parameters
	Expect  string
	// ExpectDeadLetter, in place of Expect, is the reason the payload is
	// dead-lettered with (no_rule, eval_error...).
	ExpectDeadLetter deadletter.Reason
	Line             int
}

// dataNode is the compiled `data` tree: a leaf expression, a map of nodes
// or a list of nodes.
type dataNode struct {
	leaf  *program
	keys  []string
	vals  []*dataNode
	list  []*dataNode
	isMap bool
	// whole, on the top node only, is the tree compiled as one expression
	// (a list literal of its leaves, see wholeData): one VM run per event instead of one
	// per leaf. A failing run is evaluated again leaf by leaf, so that the
	// error names its field. nil: evaluate leaf by leaf.
	whole *program
}

var ruleKeys = []string{"name", "when", "drop", "module", "entity_type", "event_name", "entity_id",
	"source", "time", "dataschema", "data", "each", "idempotency_key", "schema", "tests"}

func (l *loader) rule(m *Mapping, index int, n *yaml.Node) *Rule {
	r := &Rule{Name: strconv.Itoa(index), Line: n.Line, node: n}
	pairs := l.fields(n, r.Name, fmt.Sprintf("rule %d", index), ruleKeys...)
	byKey := map[string]*yaml.Node{}
	for _, p := range pairs {
		byKey[p[0].Value] = p[1]
	}
	if v := byKey["name"]; v != nil {
		r.Name, _ = l.scalar(v, r.Name, "name")
	}
	if v := byKey["drop"]; v != nil {
		if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
			l.errf(v, r.Name, "drop must be true or false")
		}
		r.Drop = v.Value == "true"
	}
	if v := byKey["when"]; v != nil {
		r.when = l.compile(v, r.Name, "when", env{}, kindsValue, expr.AsBool())
	} else {
		l.errf(n, r.Name, "when is required (write when: true for a catch-all rule)")
	}
	if v := byKey["tests"]; v != nil {
		r.Tests = l.fixtures(v, r.Name)
	}
	if r.Drop {
		for _, k := range ruleKeys {
			if v := byKey[k]; v != nil && k != "name" && k != "when" && k != "drop" && k != "tests" {
				l.errf(v, r.Name, "%s has no effect in a drop rule; remove it", k)
			}
		}
		return r
	}

	module := m.Module
	if v := byKey["module"]; v != nil {
		module = l.token(v, r.Name, "module")
	}
	if module == "" {
		l.errf(n, r.Name, "module is required (in the rule or at the top of the file)")
	}
	for _, k := range []string{"entity_type", "event_name", "entity_id", "source"} {
		if byKey[k] == nil {
			l.errf(n, r.Name, "%s is required", k)
		}
	}
	var eventName string
	if v := byKey["entity_type"]; v != nil {
		r.EntityType = l.token(v, r.Name, "entity_type")
	}
	if v := byKey["event_name"]; v != nil {
		eventName = l.token(v, r.Name, "event_name")
	}
	r.Type = "event." + m.Provider + "." + module + "." + r.EntityType + "." + eventName

	var e any = env{}
	if v := byKey["each"]; v != nil {
		r.each = l.compile(v, r.Name, "each", env{}, kindsList)
		e = itemEnv{}
	}
	if v := byKey["idempotency_key"]; v != nil {
		r.idemKey = l.compile(v, r.Name, "idempotency_key", env{}, kindsID)
	}
	if v := byKey["entity_id"]; v != nil {
		r.entityID = l.compile(v, r.Name, "entity_id", e, kindsID)
	}
	if v := byKey["source"]; v != nil {
		r.source = l.compile(v, r.Name, "source", e, kindsStr)
	}
	if v := byKey["time"]; v != nil {
		r.time = l.compile(v, r.Name, "time", e, kindsTime)
	}
	if v := byKey["dataschema"]; v != nil {
		var u *url.URL
		if r.DataSchema, u = l.uri(v, r.Name, "dataschema"); u != nil {
			r.dataSchemaURI = &types.URI{URL: *u}
			r.dataSchemaText = r.dataSchemaURI.String()
			if _, err := schemaRel(r.DataSchema); err != nil {
				l.errf(v, r.Name, "dataschema %q: %v", r.DataSchema, err)
			}
		}
	}
	if v := byKey["schema"]; v != nil {
		if s, ok := l.scalar(v, r.Name, "schema"); ok {
			l.useSchema(r, v, filepath.Join(filepath.Dir(l.file), s), true)
		}
	} else if r.DataSchema != "" {
		if f := schemaFileFor(l.schemasDir, r.DataSchema); f != "" {
			l.useSchema(r, byKey["dataschema"], f, false)
		}
	}
	if v := byKey["data"]; v != nil {
		r.data = l.dataTree(v, r.Name, "data", e, true)
		r.data.whole = l.wholeData(r.data, e)
		if r.data.isMap {
			// The keys the event's data will have, sorted as it is written.
			keys := append(slices.Clone(r.data.keys), "entity_id", "external_entity_id")
			slices.Sort(keys)
			r.dataKeys = slices.Compact(keys)
		}
	}
	return r
}

// useSchema compiles the schema file for r. A rule's own `schema` must
// exist; a schema looked up by dataschema URI is optional.
//
// Schema files are read only under the schemas directory and the mapping
// file's directory (see schemaSet).
func (l *loader) useSchema(r *Rule, n *yaml.Node, path string, required bool) {
	l.schemas.allow(filepath.Dir(l.file))
	sch, err := l.schemas.compile(path)
	switch {
	case errors.Is(err, errFrozen) && !required:
		r.SchemaUnknown = path
		return
	case errors.Is(err, fs.ErrNotExist) && !required:
		return
	case errors.Is(err, errFrozen):
		l.errf(n, r.Name, "schema %s: %v", path, errFrozen)
		return
	case errors.Is(err, fs.ErrNotExist):
		l.errf(n, r.Name, "schema file %s does not exist", path)
		return
	case err != nil:
		l.errf(n, r.Name, "schema %s: %v", path, err)
		return
	}
	r.schema, r.check, r.SchemaFile = sch, newSchemaCheck(sch), path
}

func (l *loader) dataTree(n *yaml.Node, rule, field string, e any, top bool) *dataNode {
	switch n.Kind {
	case yaml.MappingNode:
		d := &dataNode{isMap: true}
		for _, p := range l.fields(n, rule, field) {
			d.keys = append(d.keys, p[0].Value)
			d.vals = append(d.vals, l.dataTree(p[1], rule, field+"."+p[0].Value, e, false))
		}
		return d
	case yaml.SequenceNode:
		d := &dataNode{}
		for i, c := range n.Content {
			d.list = append(d.list, l.dataTree(c, rule, fmt.Sprintf("%s[%d]", field, i), e, false))
		}
		return d
	}
	want := kindsValue
	if top {
		want = kindsMap
	}
	return &dataNode{leaf: l.compile(n, rule, field, e, want)}
}

func (l *loader) fixtures(n *yaml.Node, rule string) []Fixture {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, rule, "tests must be a list")
		return nil
	}
	dir := filepath.Dir(l.file)
	var out []Fixture
	for i, c := range n.Content {
		f := Fixture{Line: c.Line}
		for _, p := range l.fields(c, rule, fmt.Sprintf("tests[%d]", i), "payload", "headers", "query", "expect", "expect_dead_letter") {
			switch p[0].Value {
			case "payload":
				s, _ := l.scalar(p[1], rule, "tests.payload")
				f.Payload = filepath.Join(dir, s)
			case "expect":
				s, _ := l.scalar(p[1], rule, "tests.expect")
				f.Expect = filepath.Join(dir, s)
			case "expect_dead_letter":
				s, _ := l.scalar(p[1], rule, "tests.expect_dead_letter")
				f.ExpectDeadLetter = deadletter.Reason(s)
				if !slices.Contains(deadletter.Reasons(), f.ExpectDeadLetter) {
					l.errf(p[1], rule, "tests.expect_dead_letter: unknown reason %q (want one of %v)", s, deadletter.Reasons())
				}
			case "query":
				f.Query = map[string]string{}
				for _, q := range l.fields(p[1], rule, "tests.query") {
					f.Query[q[0].Value], _ = l.scalar(q[1], rule, "tests.query."+q[0].Value)
				}
			case "headers":
				f.Headers = map[string]string{}
				for _, h := range l.fields(p[1], rule, "tests.headers") {
					f.Headers[h[0].Value], _ = l.scalar(h[1], rule, "tests.headers."+h[0].Value)
				}
			}
		}
		switch {
		case f.Payload == "" || f.Expect == "" && f.ExpectDeadLetter == "":
			l.errf(c, rule, "a test needs payload and expect (or expect_dead_letter)")
		case f.Expect != "" && f.ExpectDeadLetter != "":
			l.errf(c, rule, "a test has expect or expect_dead_letter, not both")
		}
		out = append(out, f)
	}
	return out
}

// Each reports whether the rule makes one event per element of a list.
func (r *Rule) Each() bool { return r.each != nil }

// wholeData compiles a data tree of two leaves or more as one expression,
// a list literal of its leaves in the order assemble reads them, or
// returns nil when it cannot (a leaf that failed, a tree that is a single
// expression). The maps and lists of the tree are then made by assemble,
// each at its final size, rather than by the VM.
func (l *loader) wholeData(d *dataNode, e any) *program {
	if d == nil || d.leaf != nil {
		return nil
	}
	var b strings.Builder
	leaves := 0
	var write func(d *dataNode)
	write = func(d *dataNode) {
		switch {
		case d.leaf != nil:
			if leaves > 0 {
				b.WriteString(", ")
			}
			leaves++
			// Parentheses on lines of their own: a leaf may end in a comment.
			b.WriteString("(\n" + d.leaf.src + "\n)")
		case d.isMap:
			for _, v := range d.vals {
				write(v)
			}
		default: // a list
			for _, c := range d.list {
				write(c)
			}
		}
	}
	write(d)
	if leaves < 2 {
		return nil
	}
	src := "[" + b.String() + "]"
	opts := append([]expr.Option{expr.Env(e), expr.MaxNodes(uint(2000 * leaves))}, l.funcs...)
	prog, err := expr.Compile(l.letPrefix(src)+src, opts...)
	if err != nil {
		return nil
	}
	return &program{prog: prog, field: "data", src: src}
}

// runWhole evaluates the tree as its one expression and builds its value:
// a top map gets room for extra keys more (the entity's, added after).
func (d *dataNode) runWhole(e any, extra int) (any, error) {
	v, err := d.whole.run(e)
	if err != nil {
		return nil, err
	}
	leaves, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("the data's leaves gave a %T", v)
	}
	i := 0
	out := d.assemble(leaves, &i, extra)
	if i != len(leaves) {
		return nil, fmt.Errorf("the data's %d leaves gave %d values", i, len(leaves))
	}
	return out, nil
}

// assemble builds d's value from the values of its leaves, read from
// leaves[*i] on in the order wholeData wrote them.
func (d *dataNode) assemble(leaves []any, i *int, extra int) any {
	switch {
	case d.leaf != nil:
		if *i >= len(leaves) {
			*i++
			return nil
		}
		v := leaves[*i]
		*i++
		return v
	case d.isMap:
		m := make(map[string]any, len(d.keys)+extra)
		for j, k := range d.keys {
			m[k] = d.vals[j].assemble(leaves, i, 0)
		}
		return m
	}
	l := make([]any, len(d.list))
	for j, c := range d.list {
		l[j] = c.assemble(leaves, i, 0)
	}
	return l
}
