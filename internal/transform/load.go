package transform

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/yamlcheck"
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
// set, or a *LoadError with every diagnostic of every file. The set's
// warnings are Set.Warnings.
func Load(dir string, opts Options) (*Set, error) {
	set, _, err := LoadWithWarnings(dir, opts)
	return set, err
}

// LoadWithWarnings is Load that also returns the warnings of every file,
// sorted by file and position: those of a set that does not load too
// (bridge check prints them beside its errors).
func LoadWithWarnings(dir string, opts Options) (*Set, []*Warning, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("mappings directory: %w", err)
	}
	set := &Set{Dir: dir, mappings: map[string]*Mapping{}}
	opts.schemas = newSchemaSet(opts.SchemasDir)
	set.schemas = opts.schemas
	var diags []*Diagnostic
	var warns []*Warning
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
		m, ps, ws := ParseWithWarnings(path, data, opts)
		diags = append(diags, ps...)
		warns = append(warns, ws...)
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
		SortWarnings(warns)
		return nil, warns, &LoadError{Diagnostics: diags}
	}
	if len(set.mappings) == 0 {
		return nil, warns, fmt.Errorf("mappings directory %s: no mapping files (*.yaml)", dir)
	}
	SortWarnings(warns)
	return set, warns, nil
}

// Parse compiles one mapping file. It returns the mapping (nil when the file
// cannot be used at all) and every diagnostic found.
func Parse(path string, data []byte, opts Options) (*Mapping, []*Diagnostic) {
	m, diags, _ := ParseWithWarnings(path, data, opts)
	return m, diags
}

// ParseWithWarnings is Parse that also returns the file's warnings, those
// of a file that does not load too (the mapping keeps its own: Warnings).
func ParseWithWarnings(path string, data []byte, opts Options) (*Mapping, []*Diagnostic, []*Warning) {
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
		return nil, l.diags, nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.diags = append(l.diags, &Diagnostic{File: path, Msg: "empty mapping file"})
		return nil, l.diags, nil
	}
	m := l.mappingFile(doc.Content[0])
	if m != nil && m.accepts[IngestWebhook] && !l.querySigned {
		for _, q := range l.queryReads {
			l.warnings = append(l.warnings, &Warning{File: l.file, Line: q.node.Line, Column: q.node.Column, Rule: q.rule, Slug: WarnQueryUnsigned,
				Msg: q.field + " reads query, which this file's signature scheme does not sign: whoever replays a captured delivery chooses it; read the signed body or headers, or sign the query (an hmac signed expression, docs/signatures.md)"})
		}
	}
	for _, p := range l.diags {
		p.Msg = strings.Replace(p.Msg, "type transform.Envelope has no field auth", errEnvelopeAuth, 1)
	}
	SortWarnings(l.warnings)
	if len(l.diags) > 0 {
		sortDiagnostics(l.diags)
		return nil, l.diags, l.warnings
	}
	m.warnings = l.warnings
	return m, nil, l.warnings
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
	warnings  []*Warning // what loads but likely is not meant (warning.go)
	secrets   map[string]signature.Secret
	funcs     []expr.Option
	lets      []letDef
	compiled  []*program // every expression of the file, lets included
	// secretRefs are the secret references the file resolved.
	secretRefs []SecretRef
	// contextReads are the expressions that read an envelope's metadata or
	// identity (events protocol), by rule ("" for a let).
	contextReads []contextRead
	// queryReads are the expressions that read query (a webhook's URL
	// parameters), warned when the file's scheme does not sign them.
	queryReads  []contextRead
	querySigned bool // the file's scheme signs the query (signature.SignsQuery)

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

// adopt records a check's diagnostics as the file's, in rule (none: "").
func (l *loader) adopt(ds []yamlcheck.Diagnostic, rule string) {
	for _, d := range ds {
		l.diags = append(l.diags, &Diagnostic{File: l.file, Line: d.Line, Column: d.Column, Rule: rule, Msg: d.Msg})
	}
}

// fields checks that n is a mapping whose keys are all known and unique, and
// returns its key/value pairs.
func (l *loader) fields(n *yaml.Node, rule, what string, known ...string) [][2]*yaml.Node {
	var c yamlcheck.Checker
	out := c.Fields(n, what, known...)
	l.adopt(c.Diagnostics, rule)
	return out
}

func (l *loader) scalar(n *yaml.Node, rule, what string) (string, bool) {
	var c yamlcheck.Checker
	s, ok := c.Scalar(n, what)
	l.adopt(c.Diagnostics, rule)
	return s, ok
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
		l.errf(n, rule, "%s must be a list, got %s", what, yamlcheck.KindName(n))
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
	sec, err := l.resolveSecret(s, what)
	if err != nil {
		l.errf(n, "", "%s", err)
	}
	return sec
}

// resolveSecret resolves a secret's value, a ${VAR} reference (with
// placeholders, to a placeholder); the error is the diagnostic.
func (l *loader) resolveSecret(s, what string) (signature.Secret, error) {
	m := envRefRE.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("%s must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files", what)
	}
	if l.placeholders {
		return signature.Secret("placeholder-" + m[1]), nil
	}
	l.secretRefs = append(l.secretRefs, SecretRef{Setting: what, Env: m[1]})
	v, ok := l.lookupEnv(m[1])
	if !ok || v == "" {
		return "", fmt.Errorf("%s: environment variable %s is not set (a mapping with a missing secret does not load)", what, m[1])
	}
	return signature.Secret(v), nil
}

func (l *loader) mappingFile(root *yaml.Node) *Mapping {
	m := &Mapping{File: l.file, accepts: map[string]bool{}}
	pairs := l.fields(root, "", "mapping file",
		"provider", "module", "accepts", "webhook", "idempotency_key", "secrets", "let", "redact", "rules", "backfill")
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
	// Before the lets: its expressions see since, until or page, not payload.
	if n := byKey["backfill"]; n != nil {
		m.backfill = l.backfillBlock(n)
		m.accepts[IngestBackfill] = true
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
	l.checkContextKeys(m)
	l.checkBackfillKeys(m)
	m.secretRefs = l.secretRefs
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
		m.readsHeaders = m.readsHeaders || readsIdentifier(p.prog.Node(), "headers")
	}
	return m
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// webhook reads the webhook: block: the content types here, the
// signature block by signature.ParseBlock.
func (l *loader) webhook(m *Mapping, n *yaml.Node) {
	var sig *yaml.Node
	for _, p := range l.fields(n, "", "webhook", "signature", "content_types") {
		switch p[0].Value {
		case "signature":
			sig = p[1]
		case "content_types":
			l.contentTypes(m, p[1])
		}
	}
	if sig == nil {
		if m.accepts[IngestWebhook] {
			l.errf(n, "", "webhook.signature is required; write {scheme: none} to accept unsigned deliveries")
		}
		return
	}
	v, ds := signature.ParseBlock(sig, signature.BlockOptions{Secret: l.resolveSecret, Placeholders: l.placeholders})
	l.adopt(ds, "")
	l.adoptWarnings(signature.BlockWarnings(sig, m.accepts[IngestWebhook]))
	m.Verifier = v
	l.querySigned = v != nil && signature.SignsQuery(v)
}

func (l *loader) contentTypes(m *Mapping, n *yaml.Node) {
	m.ContentTypes = nil
	for i, ct := range l.stringList(n, "", "webhook.content_types") {
		if ct != ContentJSON && ct != ContentForm {
			l.errf(n.Content[i], "", "webhook.content_types: %q is not supported (want %s or %s)", ct, ContentJSON, ContentForm)
		}
		m.ContentTypes = append(m.ContentTypes, ct)
	}
	if len(m.ContentTypes) == 0 {
		l.errf(n, "", "webhook.content_types is empty: every delivery would be refused 415; list %s or %s, or leave the key out (%s)", ContentJSON, ContentForm, ContentJSON)
	}
}

var errNoRule = errors.New("no rule matches")

// contextRead is an expression that reads envelope.metadata or
// envelope.identity.
type contextRead struct {
	rule, field string
	node        *yaml.Node
}

// envelopeContext matches an expression reading an envelope's metadata or
// identity: envelope.metadata, envelope?.identity, envelope["metadata"].
var envelopeContext = regexp.MustCompile(`envelope\s*(?:\??\.\s*|\[\s*["'])(metadata|identity)\b`)

// checkContextKeys refuses a file that serves the events protocol and
// builds events from an envelope's metadata or identity while its calls are
// named only by name, version and payload (the key when no idempotency_key
// is set): two calls that differ only there (two tenants) would be one
// delivery, the second answered duplicate and never stored.
func (l *loader) checkContextKeys(m *Mapping) {
	if !m.accepts[IngestEvents] || m.idemKey != nil {
		return
	}
	keyed := map[string]bool{}
	allKeyed := true
	for _, r := range m.rules {
		keyed[r.Name] = r.idemKey != nil || r.Drop
		allKeyed = allKeyed && keyed[r.Name]
	}
	for _, c := range l.contextReads {
		if c.rule == "" && allKeyed || c.rule != "" && keyed[c.rule] {
			continue
		}
		what := envelopeContext.FindStringSubmatch(c.node.Value)[1]
		l.errf(c.node, c.rule, "%s reads envelope.%s, but calls are told apart only by name, version and payload: "+
			"two calls that differ only in %s would be one, the second answered duplicate and not stored; "+
			"set idempotency_key to what names a call, e.g. idempotency_key: envelope.%s.tenant + \":\" + payload.id",
			c.field, what, what, what)
	}
}

// SecretRef is a secret setting of a mapping file and the environment
// variable it names, as resolved at load.
type SecretRef struct {
	Setting string // e.g. webhook.signature.secret, secrets.api_key
	Env     string // e.g. STRIPE_WEBHOOK_SECRET
}

// SecretRefs lists the secret references of the file, in the order they
// were resolved (webhook.signature first, when the file has one): what a
// start-up check of the secrets reads, never their values.
func (m *Mapping) SecretRefs() []SecretRef { return m.secretRefs }
