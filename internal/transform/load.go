package transform

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/signature"
)

// Ingest kinds a mapping file may accept.
const (
	IngestWebhook = "webhook"
	IngestNATS    = "nats"
	IngestEvents  = "events"
)

// Content types a webhook mapping may accept.
const (
	ContentJSON = "application/json"
	ContentForm = "application/x-www-form-urlencoded"
)

var tokenRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// Options of Load.
type Options struct {
	// LookupEnv resolves ${VAR} secret references; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// PlaceholderSecrets resolves every ${VAR} reference to a placeholder
	// that suits its scheme, without reading the environment: for the tools
	// that never verify a signature (bridge test, map, catalog; the
	// playground). The daemon and bridge check use the real secrets.
	PlaceholderSecrets bool
	// SchemasDir holds JSON Schemas by dataschema URI: the schema of
	// https://host/a/b.json is <SchemasDir>/host/a/b.json. Empty: only
	// rules' own `schema` files are used.
	SchemasDir string
	// SchemasOf, when set, is the only source of schemas: those the set
	// compiled, and no file read (the playground's edited mappings).
	SchemasOf *Set

	schemas *schemaSet // shared by the files of one Load
}

// Set is a loaded, compiled mapping set: one Mapping per provider.
type Set struct {
	Dir      string
	mappings map[string]*Mapping
	schemas  *schemaSet // the schemas the set compiled
}

// Mapping returns the mapping file of provider.
func (s *Set) Mapping(provider string) (*Mapping, bool) {
	m, ok := s.mappings[provider]
	return m, ok
}

// Providers lists the providers of the set, sorted.
func (s *Set) Providers() []string {
	ps := make([]string, 0, len(s.mappings))
	for p := range s.mappings {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Load reads every *.yaml and *.yml file of dir, compiles it, and returns the
// set, or a *LoadError with every diagnostic of every file.
func Load(dir string, opts Options) (*Set, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mappings directory: %w", err)
	}
	set := &Set{Dir: dir, mappings: map[string]*Mapping{}}
	opts.schemas = newSchemaSet(opts.SchemasDir)
	set.schemas = opts.schemas
	var diags []*Diagnostic
	owner := map[string]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &Diagnostic{File: path, Msg: err.Error()})
			continue
		}
		m, ps := Parse(path, data, opts)
		diags = append(diags, ps...)
		if m == nil {
			continue
		}
		if other, dup := owner[m.Provider]; dup {
			diags = append(diags, &Diagnostic{File: path, Line: m.providerLine, Column: m.providerCol,
				Msg: fmt.Sprintf("provider %q is already mapped by %s; one file per provider", m.Provider, other)})
			continue
		}
		owner[m.Provider] = path
		set.mappings[m.Provider] = m
	}
	if len(diags) > 0 {
		sortDiagnostics(diags)
		return nil, &LoadError{Diagnostics: diags}
	}
	if len(set.mappings) == 0 {
		return nil, fmt.Errorf("mappings directory %s: no mapping files (*.yaml)", dir)
	}
	return set, nil
}

// Parse compiles one mapping file. It returns the mapping (nil when the file
// cannot be used at all) and every diagnostic found.
func Parse(path string, data []byte, opts Options) (*Mapping, []*Diagnostic) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.schemas == nil && opts.SchemasOf != nil {
		opts.schemas = opts.SchemasOf.schemas.frozenCopy()
	}
	if opts.schemas == nil {
		opts.schemas = newSchemaSet(opts.SchemasDir)
	}
	l := &loader{file: path, lookupEnv: opts.LookupEnv, placeholders: opts.PlaceholderSecrets, schemasDir: opts.SchemasDir, schemas: opts.schemas}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.diags = append(l.diags, yamlDiagnostic(path, err))
		return nil, l.diags
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.diags = append(l.diags, &Diagnostic{File: path, Msg: "empty mapping file"})
		return nil, l.diags
	}
	m := l.mappingFile(doc.Content[0])
	for _, p := range l.diags {
		p.Msg = strings.Replace(p.Msg, "type transform.Envelope has no field auth", errEnvelopeAuth, 1)
	}
	if len(l.diags) > 0 {
		sortDiagnostics(l.diags)
		return nil, l.diags
	}
	return m, nil
}

// errEnvelopeAuth replaces expr's "no field" for an expression that reads
// envelope.auth.
const errEnvelopeAuth = "envelope.auth is not available to expressions: the events endpoint checks credentials (--events-auth) and they never reach a mapping"

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlDiagnostic(path string, err error) *Diagnostic {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Diagnostic{File: path, Line: line, Msg: "yaml: " + m[2]}
	}
	return &Diagnostic{File: path, Msg: msg}
}

type loader struct {
	file      string
	lookupEnv func(string) (string, bool)
	diags     []*Diagnostic
	secrets   map[string]signature.Secret
	funcs     []expr.Option
	lets      []letDef
	compiled  []*program // every expression of the file, lets included

	placeholders bool

	schemasDir string
	schemas    *schemaSet
}

func (l *loader) errf(n *yaml.Node, rule, format string, args ...any) {
	p := &Diagnostic{File: l.file, Rule: rule, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	l.diags = append(l.diags, p)
}

// fields checks that n is a mapping whose keys are all known and unique, and
// returns its key/value pairs.
func (l *loader) fields(n *yaml.Node, rule, what string, known ...string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errf(n, rule, "%s must be a mapping, got %s", what, kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case known != nil && !slices.Contains(known, k.Value):
			l.errf(k, rule, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(known, ", "))
		case seen[k.Value]:
			l.errf(k, rule, "key %q appears twice in %s", k.Value, what)
		default:
			seen[k.Value] = true
			out = append(out, [2]*yaml.Node{k, v})
		}
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func (l *loader) scalar(n *yaml.Node, rule, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errf(n, rule, "%s must be a single value, got %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) token(n *yaml.Node, rule, what string) string {
	s, ok := l.scalar(n, rule, what)
	if ok && !tokenRE.MatchString(s) {
		l.errf(n, rule, "%s %q must be lower case letters, digits and underscores ([a-z0-9_]+)", what, s)
	}
	return s
}

func (l *loader) stringList(n *yaml.Node, rule, what string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, rule, "%s must be a list, got %s", what, kindName(n))
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := l.scalar(c, rule, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

// uri reads an absolute URI, and returns it parsed too (nil when it is not
// one: a problem then).
func (l *loader) uri(n *yaml.Node, rule, what string) (string, *url.URL) {
	s, ok := l.scalar(n, rule, what)
	if !ok {
		return "", nil
	}
	u, err := parseAbsURI(s)
	if err != nil {
		l.errf(n, rule, "%s %q must be an absolute URI", what, s)
	}
	return s, u
}

var envRefRE = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// secret resolves a ${VAR} reference from the environment. A literal secret
// in a mapping file is refused: secrets live only in the environment.
func (l *loader) secret(n *yaml.Node, what string) signature.Secret {
	s, ok := l.scalar(n, "", what)
	if !ok {
		return ""
	}
	m := envRefRE.FindStringSubmatch(s)
	if m == nil {
		l.errf(n, "", "%s must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files", what)
		return ""
	}
	if l.placeholders {
		return signature.Secret("placeholder-" + m[1])
	}
	v, ok := l.lookupEnv(m[1])
	if !ok || v == "" {
		l.errf(n, "", "%s: environment variable %s is not set (a mapping with a missing secret does not load)", what, m[1])
		return ""
	}
	return signature.Secret(v)
}

func (l *loader) mappingFile(root *yaml.Node) *Mapping {
	m := &Mapping{File: l.file, accepts: map[string]bool{}}
	pairs := l.fields(root, "", "mapping file",
		"provider", "module", "accepts", "webhook", "idempotency_key", "secrets", "let", "redact", "rules")
	byKey := map[string]*yaml.Node{}
	for _, p := range pairs {
		byKey[p[0].Value] = p[1]
	}
	// Secrets first: expressions compile against functions that need them.
	l.secrets = map[string]signature.Secret{}
	if n := byKey["secrets"]; n != nil {
		for _, p := range l.fields(n, "", "secrets") {
			l.secrets[p[0].Value] = l.secret(p[1], "secrets."+p[0].Value)
		}
	}
	l.funcs = functions(l.secrets)

	if n := byKey["provider"]; n != nil {
		m.Provider = l.token(n, "", "provider")
		m.providerLine, m.providerCol = n.Line, n.Column
	} else {
		l.errf(root, "", "provider is required")
	}
	if n := byKey["module"]; n != nil {
		m.Module = l.token(n, "", "module")
	}
	// accepts defaults to the ingestors whose sections the file has: a
	// webhook: block serves webhooks. NATS and the events protocol take
	// payloads without a provider's signature, so they are served only
	// when listed.
	if n := byKey["accepts"]; n != nil {
		for i, a := range l.stringList(n, "", "accepts") {
			if a != IngestWebhook && a != IngestNATS && a != IngestEvents {
				l.errf(n.Content[i], "", "accepts: unknown ingest %q (want webhook, nats or events)", a)
			}
			m.accepts[a] = true
		}
		if len(m.accepts) == 0 {
			l.errf(n, "", "accepts is empty: the file would serve no ingestor; list webhook, nats or events")
		}
	} else if byKey["webhook"] != nil {
		m.accepts[IngestWebhook] = true
	} else {
		l.errf(root, "", "the file serves no ingestor: it has no webhook: block and no accepts; add a webhook: block (webhooks), or accepts: [nats] or [events]")
	}
	if n := byKey["redact"]; n != nil {
		m.Redact = l.stringList(n, "", "redact")
	}
	if n := byKey["let"]; n != nil {
		l.letBlock(n)
	}
	m.ContentTypes = []string{ContentJSON}
	if n := byKey["webhook"]; n != nil {
		l.webhook(m, n)
	} else if m.accepts[IngestWebhook] {
		l.errf(root, "", "webhook.signature is required for a file that accepts webhooks; write {scheme: none} to accept unsigned deliveries, or leave webhook out of accepts")
	}
	if n := byKey["idempotency_key"]; n != nil {
		m.idemKey = l.compile(n, "", "idempotency_key", env{}, kindsID)
	}
	n := byKey["rules"]
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errf(orNode(n, root), "", "rules must be a non-empty list")
		return m
	}
	for i, rn := range n.Content {
		if r := l.rule(m, i, rn); r != nil {
			m.rules = append(m.rules, r)
		}
	}
	names := map[string]int{}
	for _, r := range m.rules {
		if prev, ok := names[r.Name]; ok {
			l.errf(r.node, r.Name, "rule name is already used by the rule at line %d", prev)
		}
		names[r.Name] = r.Line
	}
	// What the payload decoder builds: what any of the file's expressions
	// can read of the payload.
	m.reads = &jsonx.Paths{}
	for _, p := range l.compiled {
		readPaths(m.reads, p.prog.Node())
	}
	return m
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (l *loader) webhook(m *Mapping, n *yaml.Node) {
	var sig *yaml.Node
	for _, p := range l.fields(n, "", "webhook", "signature", "content_types") {
		switch p[0].Value {
		case "signature":
			sig = p[1]
		case "content_types":
			m.ContentTypes = nil
			for i, ct := range l.stringList(p[1], "", "webhook.content_types") {
				if ct != ContentJSON && ct != ContentForm {
					l.errf(p[1].Content[i], "", "webhook.content_types: %q is not supported (want %s or %s)", ct, ContentJSON, ContentForm)
				}
				m.ContentTypes = append(m.ContentTypes, ct)
			}
			if len(m.ContentTypes) == 0 {
				l.errf(p[1], "", "webhook.content_types is empty: every delivery would be refused 415; list %s or %s, or leave the key out (%s)", ContentJSON, ContentForm, ContentJSON)
			}
		}
	}
	if sig == nil {
		if m.accepts[IngestWebhook] {
			l.errf(n, "", "webhook.signature is required; write {scheme: none} to accept unsigned deliveries")
		}
		return
	}
	// The scheme decides which settings the block may hold: look it up
	// first, so that an unknown key is reported where it is.
	known := []string{"scheme", "secret", "secrets", "tolerance"}
	what := "webhook.signature"
	var name string
	for i := 0; sig.Kind == yaml.MappingNode && i+1 < len(sig.Content); i += 2 {
		if sig.Content[i].Value == "scheme" {
			name = sig.Content[i+1].Value
			break
		}
	}
	if slices.Contains(signature.Schemes(), name) {
		known = append(known, signature.Settings(name)...)
		what += " for scheme " + name
	} else { // New reports the scheme; its settings are not the problem
		for _, sc := range signature.Schemes() {
			for _, s := range signature.Settings(sc) {
				if !slices.Contains(known, s) {
					known = append(known, s)
				}
			}
		}
	}
	cfg := signature.Config{}
	var schemeNode, toleranceNode *yaml.Node
	var secretNodes []*yaml.Node // one per cfg.Secrets entry; "" marks a reference already reported
	settingNodes := map[string]*yaml.Node{}
	reported := map[string]bool{} // settings whose value is already reported
	schemeOK := true
	addSecret := func(n *yaml.Node, what string) {
		cfg.Secrets = append(cfg.Secrets, l.secret(n, what))
		secretNodes = append(secretNodes, n)
	}
	for _, p := range l.fields(sig, "", what, known...) {
		switch key := p[0].Value; key {
		case "scheme":
			schemeNode = p[1]
			cfg.Scheme, schemeOK = l.scalar(p[1], "", "webhook.signature.scheme")
		case "secret":
			addSecret(p[1], "webhook.signature.secret")
		case "secrets":
			if p[1].Kind != yaml.SequenceNode {
				l.errf(p[1], "", "webhook.signature.secrets must be a list")
				continue
			}
			for _, c := range p[1].Content {
				addSecret(c, "webhook.signature.secrets entry")
			}
		case "tolerance":
			toleranceNode = p[1]
			s, ok := l.scalar(p[1], "", "webhook.signature.tolerance")
			d, err := time.ParseDuration(s)
			if ok && (err != nil || d <= 0) {
				l.errf(p[1], "", "webhook.signature.tolerance %q must be a positive duration like 5m", s)
			}
			if !ok || err != nil || d <= 0 {
				reported["tolerance"] = true
				continue
			}
			cfg.Tolerance = d
		default: // one of the scheme's settings
			settingNodes[key] = p[1]
			v, ok := l.scalar(p[1], "", "webhook.signature."+key)
			if !ok {
				reported[key] = true
				continue
			}
			if cfg.Settings == nil {
				cfg.Settings = map[string]string{}
			}
			cfg.Settings[key] = v
		}
	}
	if schemeNode == nil {
		l.errf(sig, "", "webhook.signature.scheme is required (one of %s)", strings.Join(signature.Schemes(), ", "))
		return
	}
	if !schemeOK {
		return
	}
	if l.placeholders {
		for i, sec := range cfg.Secrets {
			if sec != "" {
				cfg.Secrets[i] = signature.PlaceholderSecret(cfg.Scheme)
			}
		}
	}
	// New sees every secret, the unresolved ones as "", so that its numbers
	// match the file; what it says of those, and of settings whose value was
	// not a single value, is already reported. The rest is reported at the
	// setting it names, else at the scheme.
	v, err := signature.New(cfg)
	for _, e := range splitJoined(err) {
		if e == nil {
			continue
		}
		at := schemeNode
		var ce *signature.ConfigError
		if errors.As(e, &ce) {
			if reported[ce.Setting] {
				continue
			}
			switch {
			case ce.Setting == "secrets" && ce.Secret > 0 && ce.Secret <= len(secretNodes):
				if cfg.Secrets[ce.Secret-1] == "" {
					continue
				}
				at = secretNodes[ce.Secret-1]
			case ce.Setting == "tolerance" && toleranceNode != nil:
				at = toleranceNode
			case settingNodes[ce.Setting] != nil:
				at = settingNodes[ce.Setting]
			}
		}
		l.errf(at, "", "webhook.signature: %v", e)
	}
	if err == nil {
		m.Verifier = v
	}
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var errNoRule = errors.New("no rule matches")
