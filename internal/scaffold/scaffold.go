// Package scaffold proposes a mapping file from sample payloads of a
// provider: `bridge new`. It infers one rule per distinct event type of the
// samples and a fixture per sample; the file is a starting point whose
// guesses are marked TODO, not a finished mapping.
//
// The event type is the one of EventFields that samples have at their
// top level as a string with the most distinct values (ties: in the most
// samples, then first in EventFields). A sample without it goes to a catch-all rule
// (`when: true`, named after the provider), last. Only the top level is
// read for the type: a provider that nests it (or sends it in a header)
// gets the catch-all, to be split by hand.
package scaffold

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/signature"
)

// EventFields are the top-level fields read as the event type, in order of
// preference.
var EventFields = []string{"type", "event", "event_type", "eventType", "action", "topic", "kind"}

// MaxData bounds the fields proposed for a rule's data.
const MaxData = 8

// MaxDataText bounds the text of a field proposed for data: a long string
// would push the event past the profile's size limit.
const MaxDataText = 1024

// MaxSample bounds a sample's size: the playground's and the webhook
// door's default body limit.
const MaxSample = 1 << 20

// reservedData are the payload fields never proposed as data: the event's
// own (id, entity_type) and those the profile gives a meaning in data
// (entity_id must be the entity's UUID).
var reservedData = []string{"id", "entity_type", "object", "entity_id", "external_entity_id"}

// Sample is one sample payload: its file name and body.
type Sample struct {
	Name string
	Body []byte
}

// Scaffold is the proposed mapping file and its fixtures.
type Scaffold struct {
	Provider   string
	Scheme     string
	SecretEnv  string // the environment variable of the signature secret; "" for none
	EventField string // the field read as the event type; "" when no sample has one
	// KeyField is a top-level field joined to the idempotency key because
	// samples of one id and event type differ in it (two updates of one
	// object under one notification id); "" when none is needed.
	KeyField string
	Rules    []Rule   // in file order
	Todo     []string // what to edit next, one line each
	yaml     string
}

// Rule is one proposed rule and its fixtures.
type Rule struct {
	Name       string
	When       string
	EntityType string
	EventName  string
	EntityID   string // expression
	Source     string // expression
	Time       string // expression, "" when none was found
	Data       []DataField
	Fixtures   []Fixture
}

// DataField is one key of a rule's data and its expression.
type DataField struct{ Key, Expr string }

// Fixture is a sample copied next to the mapping file: Payload and Expect
// are relative to the file's directory.
type Fixture struct {
	Payload, Expect string
	Body            []byte
}

var tokenRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// secretless are the schemes that take no secret.
var secretless = map[string]bool{signature.SchemeNone: true}

// unsupported are the schemes whose required settings the scaffold cannot
// guess, with what to do instead.
var unsupported = map[string]string{
	"discord": "it needs the application's public_key",
	"ed25519": "it needs the provider's public_key",
}

// Infer proposes the mapping file of provider from the samples, signed by
// scheme. Every problem is returned at once, each naming its sample.
func Infer(provider, scheme string, samples []Sample) (*Scaffold, error) {
	errs := checkArgs(provider, scheme, len(samples))
	docs, serrs := parseSamples(samples)
	errs = append(errs, serrs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	sc := &Scaffold{Provider: provider, Scheme: scheme}
	if !secretless[scheme] {
		sc.SecretEnv = strings.ToUpper(provider) + "_WEBHOOK_SECRET"
	}
	sc.EventField = eventField(docs)

	// Group the samples by event type, in the order first seen.
	type group struct {
		value   string // the event type; "" for the catch-all
		samples []int
	}
	var groups []*group
	var rest *group
	byValue := map[string]*group{}
	for i, d := range docs {
		var t string
		if sc.EventField != "" {
			if v, ok := d.get(sc.EventField); ok && v.isString() {
				t = v.scalar.(string)
			}
		}
		if t == "" {
			if rest == nil {
				rest = &group{}
			}
			rest.samples = append(rest.samples, i)
			continue
		}
		g := byValue[t]
		if g == nil {
			g = &group{value: t}
			byValue[t] = g
			groups = append(groups, g)
		}
		g.samples = append(g.samples, i)
	}
	if rest != nil {
		groups = append(groups, rest)
	}

	names := map[string]bool{}
	files := map[string]bool{}
	for _, g := range groups {
		r := Rule{}
		entityKey := ""
		if g.value == "" {
			r.Name, r.When = provider, "true"
			r.EntityType, r.EventName = provider, "received"
		} else {
			r.Name = g.value
			r.When = "payload." + sc.EventField + " == " + quoteExpr(g.value)
			if i := strings.LastIndex(g.value, "."); i > 0 && i < len(g.value)-1 {
				entityKey = g.value[:i]
				r.EntityType, r.EventName = token(entityKey), token(g.value[i+1:])
			} else {
				r.EntityType, r.EventName = provider, token(g.value)
			}
		}
		r.Name = unique(r.Name, names)
		rs := make([]value, len(g.samples))
		for i, s := range g.samples {
			rs[i] = docs[s]
		}
		inferRule(&r, entityKey, provider, rs)
		for _, s := range g.samples {
			base := fixtureBase(strings.TrimSuffix(filepath.Base(samples[s].Name), ".json"), files)
			r.Fixtures = append(r.Fixtures, Fixture{
				Payload: provider + "/" + base + ".json",
				Expect:  provider + "/" + base + ".event.json",
				Body:    samples[s].Body,
			})
		}
		sc.Rules = append(sc.Rules, r)
	}
	sc.KeyField = keyField(docs, sc.EventField)
	sc.todo()
	sc.yaml = sc.render()
	return sc, nil
}

// eventField is the one of EventFields, as a string at the top level of
// some sample, with the most distinct values, then in the most samples,
// then first in EventFields: Mercado Pago's "type": "payment" is the same
// for every notification, its "action" ("payment.created",
// "payment.updated") tells them apart.
func eventField(docs []value) string {
	best, bestValues, bestSamples := "", 0, 0
	for _, f := range EventFields {
		values := map[string]bool{}
		samples := 0
		for _, d := range docs {
			if v, ok := d.get(f); ok && v.isString() {
				values[v.scalar.(string)] = true
				samples++
			}
		}
		if len(values) > bestValues || len(values) == bestValues && samples > bestSamples {
			best, bestValues, bestSamples = f, len(values), samples
		}
	}
	return best
}

// inferRule fills entity_id, source, time and data from the rule's samples:
// a field is proposed only when every sample has it.
func inferRule(r *Rule, entityKey, provider string, samples []value) {
	all := func(p path, ok func(value) bool) bool {
		for _, s := range samples {
			v, found := s.at(p)
			if !found || !ok(v) {
				return false
			}
		}
		return true
	}
	// The entity: data.object (Stripe), data, the object named by the
	// event type's prefix, else the whole payload.
	var entity path
	for _, p := range []path{keys("data", "object"), keys("data"), keys(entityKey)} {
		if p[len(p)-1].key != "" && all(p, func(v value) bool { return v.kind == kindObject }) {
			entity = p
			break
		}
	}
	// entity_id: the entity's id, the payload's id, else the first
	// id-like field found.
	var idPath path
	candidates := []path{entity.with(step{key: "id"}), keys("id")}
	candidates = append(candidates, idFields(samples[0], nil, 0)...)
	for _, p := range candidates {
		if all(p, value.isID) {
			idPath = p
			break
		}
	}
	if idPath == nil {
		r.EntityID = "uuid5(" + quoteExpr(provider) + ", string(received_at))"
	} else {
		r.EntityID = idPath.expr("payload")
	}
	r.Source = quoteExpr("https://"+provider+".example/"+r.EntityType+"/") + " + string(" + r.EntityID + ")"

	for _, root := range []path{nil, entity} {
		for _, name := range []string{"created", "created_at", "createdAt", "date_created", "dateCreated", "timestamp", "time", "event_time", "occurred_at", "occurredAt"} {
			p := append(append(path(nil), root...), step{key: name})
			switch {
			case all(p, isUnix(1e9, 1e11)):
				r.Time = "fromUnix(" + p.expr("payload") + ")"
			case all(p, isUnix(1e12, 1e14)):
				r.Time = "fromUnixMilli(" + p.expr("payload") + ")"
			case all(p, isRFC3339):
				r.Time = p.expr("payload")
			}
			if r.Time != "" {
				break
			}
		}
		if r.Time != "" || entity == nil {
			break
		}
	}

	r.Data = append(r.Data, DataField{Key: "entity_type", Expr: quoteExpr(strings.ToUpper(r.EntityType))})
	obj, _ := samples[0].at(entity)
	for _, f := range obj.fields {
		if len(r.Data) > MaxData {
			break
		}
		p := entity.with(step{key: f.key})
		if slices.Contains(reservedData, f.key) || (entity == nil && slices.Contains(EventFields, f.key)) || !safeKey(f.key) ||
			!all(p, func(v value) bool {
				return v.kind == kindScalar && v.scalar != nil && len(fmt.Sprint(v.scalar)) <= MaxDataText
			}) {
			continue
		}
		r.Data = append(r.Data, DataField{Key: f.key, Expr: p.expr("payload")})
	}
}

// idFields are the paths of id-like scalar fields (id, *_id, *Id, *ID) of
// v, depth first in the sample's order, looking into objects and the first
// element of lists, three levels deep.
func idFields(v value, at path, depth int) []path {
	if depth > 3 {
		return nil
	}
	var out []path
	switch v.kind {
	case kindObject:
		for _, f := range v.fields {
			p := at.with(step{key: f.key})
			if f.val.isID() && (f.key == "id" || strings.HasSuffix(f.key, "_id") || strings.HasSuffix(f.key, "Id") || strings.HasSuffix(f.key, "ID")) {
				out = append(out, p)
			}
		}
		for _, f := range v.fields {
			out = append(out, idFields(f.val, at.with(step{key: f.key}), depth+1)...)
		}
	case kindArray:
		if len(v.items) > 0 {
			out = append(out, idFields(v.items[0], at.with(step{index: true}), depth+1)...)
		}
	}
	return out
}

func isUnix(lo, hi float64) func(value) bool {
	return func(v value) bool {
		n, ok := v.scalar.(json.Number)
		if !ok || strings.ContainsAny(string(n), ".eE") {
			return false
		}
		f, err := n.Float64()
		return err == nil && f >= lo && f < hi
	}
}

func isRFC3339(v value) bool {
	s, ok := v.scalar.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

var safeKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func safeKey(k string) bool { return safeKeyRE.MatchString(k) }

// token is s as an entity_type or event_name token: snake case, lower case
// [a-z0-9_]+ ("paymentIntent" and "payment-intent" give "payment_intent").
func token(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, c := range s {
		switch {
		case unicode.IsUpper(c):
			if unicode.IsLower(prev) || unicode.IsDigit(prev) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		case c < 128 && (unicode.IsLower(c) || unicode.IsDigit(c)):
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		prev = c
	}
	t := strings.Trim(regexp.MustCompile(`_+`).ReplaceAllString(b.String(), "_"), "_")
	if t == "" {
		return "event"
	}
	return t
}

// unique is name, or name_2, name_3... when taken; it marks it taken.
func unique(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	taken[n] = true
	return n
}

// checkArgs checks Infer's provider, scheme and sample count.
func checkArgs(provider, scheme string, samples int) []error {
	var errs []error
	if !tokenRE.MatchString(provider) {
		errs = append(errs, fmt.Errorf("provider %q: want lower case [a-z0-9_]+ (it names the file, the route /webhooks/%s and the event types)", provider, provider))
	}
	known := false
	for _, s := range signature.Schemes() {
		known = known || s == scheme
	}
	switch {
	case !known:
		errs = append(errs, fmt.Errorf("signature scheme %q: want one of %s", scheme, strings.Join(signature.Schemes(), ", ")))
	case unsupported[scheme] != "":
		errs = append(errs, fmt.Errorf("signature scheme %q: %s, which bridge new cannot guess; start with --signature none and write the signature block by hand (docs/signatures.md)", scheme, unsupported[scheme]))
	}
	if samples == 0 {
		errs = append(errs, errors.New("no samples: give at least one --from FILE"))
	}
	return errs
}

// parseSamples reads each sample as the bridge would a delivery (its size
// and JSON limits) and as a JSON object, keys in order.
func parseSamples(samples []Sample) ([]value, []error) {
	var errs []error
	docs := make([]value, len(samples))
	for i, s := range samples {
		if len(s.Body) > MaxSample {
			errs = append(errs, fmt.Errorf("%s: %d bytes: a sample may have at most %d (a delivery that large would be refused)", s.Name, len(s.Body), MaxSample))
			continue
		}
		if json.Valid(s.Body) {
			if _, err := jsonx.Decode(s.Body); err != nil {
				// The limits the bridge applies to a delivery (depth, keys,
				// values): a sample beyond them would fail its own fixture.
				errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
				continue
			}
		}
		v, err := parseJSON(s.Body)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: not JSON: %w", s.Name, err))
		case v.kind != kindObject:
			errs = append(errs, fmt.Errorf("%s: not a JSON object: the scaffold reads a provider's event object", s.Name))
		}
		docs[i] = v
	}
	return docs, errs
}

// keyField is the top-level scalar field, present in every sample, that
// tells apart samples of one id and event type with different contents
// (a provider that sends two updates of one object under one notification
// id), preferring a time-like name; "" when no two samples need it.
func keyField(docs []value, eventField string) string {
	groups := map[string][]value{}
	for _, d := range docs {
		id, ok1 := d.get("id")
		t, ok2 := d.get(eventField)
		if eventField == "" {
			ok2 = true
		}
		if !ok1 || !ok2 {
			continue
		}
		k := fmt.Sprint(id.scalar) + "\x00" + fmt.Sprint(t.scalar)
		groups[k] = append(groups[k], d)
	}
	var first []value // the first group that needs a field
	for _, d := range docs {
		for _, g := range groups {
			if len(g) > 1 && first == nil && len(g[0].fields) == len(d.fields) && fmt.Sprint(g[0]) == fmt.Sprint(d) {
				first = g
			}
		}
	}
	if first == nil {
		return ""
	}
	var candidates []string
	for _, f := range first[0].fields {
		if f.key == "id" || (eventField != "" && f.key == eventField) || !safeKey(f.key) || f.val.kind != kindScalar {
			continue
		}
		candidates = append(candidates, f.key)
	}
	timeLike := func(k string) bool {
		l := strings.ToLower(k)
		return strings.Contains(l, "date") || strings.Contains(l, "time") || strings.Contains(l, "created") || strings.Contains(l, "_at")
	}
	slices.SortStableFunc(candidates, func(a, b string) int {
		switch {
		case timeLike(a) && !timeLike(b):
			return -1
		case timeLike(b) && !timeLike(a):
			return 1
		}
		return 0
	})
	for _, c := range candidates {
		ok := true
		for _, g := range groups {
			if len(g) < 2 {
				continue
			}
			seen := map[string]bool{}
			for _, d := range g {
				v, present := d.get(c)
				if !present || v.kind != kindScalar {
					ok = false
					break
				}
				seen[fmt.Sprint(v.scalar)] = true
			}
			if !ok || len(seen) < len(g) {
				ok = false
				break
			}
		}
		if ok {
			return c
		}
	}
	return ""
}

// fixtureBase is a base name for a sample's copy (base.json) and its
// expected event (base.event.json) that no other sample's files take:
// samples order.json and order.event.json must not write one file.
func fixtureBase(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n] || taken[n+".event"]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	taken[n], taken[n+".event"] = true, true
	return n
}

// quoteExpr is s as an expr string literal.
func quoteExpr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// yamlToken is a [a-z0-9_]+ token as a YAML scalar: plain, unless YAML
// would read it as something else than a string (true, null, 123).
func yamlToken(t string) string {
	switch t {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return quoteYAML(t)
	}
	if t[0] >= '0' && t[0] <= '9' || t[0] == '_' {
		return quoteYAML(t)
	}
	return t
}

// quoteYAML is s as a single-quoted YAML scalar.
func quoteYAML(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// YAML is the proposed mapping file.
func (sc *Scaffold) YAML() string { return sc.yaml }

// File is the mapping file's path in dir.
func (sc *Scaffold) File(dir string) string { return filepath.Join(dir, sc.Provider+".yaml") }

// ErrExists is returned by Write when the mapping file exists.
var ErrExists = errors.New("exists (give --force to overwrite it)")

// Write writes the mapping file and the fixtures' payloads into dir (the
// payloads under dir/PROVIDER/). Without force, an existing mapping file or
// payload is an error and nothing is written. It returns the files
// written.
func (sc *Scaffold) Write(dir string, force bool) ([]string, error) {
	file := sc.File(dir)
	var writes []string
	bodies := map[string][]byte{}
	for _, r := range sc.Rules {
		for _, f := range r.Fixtures {
			p := filepath.Join(dir, filepath.FromSlash(f.Payload))
			writes = append(writes, p)
			bodies[p] = f.Body
		}
	}
	var expected []string
	for _, r := range sc.Rules {
		for _, f := range r.Fixtures {
			expected = append(expected, filepath.Join(dir, filepath.FromSlash(f.Expect)))
		}
	}
	var errs []error
	if other := mappedBy(dir, sc.Provider, file); other != "" {
		errs = append(errs, fmt.Errorf("provider %q is already mapped by %s: edit that file, or scaffold another provider name", sc.Provider, other))
	}
	for _, p := range append(append([]string{file, filepath.Join(dir, sc.Provider)}, writes...), expected...) {
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			errs = append(errs, fmt.Errorf("%s: a symbolic link: bridge new writes only plain files it creates or replaces", p))
		case !force && !fi.IsDir():
			errs = append(errs, fmt.Errorf("%s: %w", p, ErrExists))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := os.MkdirAll(filepath.Join(dir, sc.Provider), 0o755); err != nil {
		return nil, err
	}
	for _, p := range writes {
		if err := os.WriteFile(p, bodies[p], 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(file, []byte(sc.yaml), 0o644); err != nil {
		return nil, err
	}
	return append([]string{file}, writes...), nil
}

// mappedBy is the mapping file in dir, other than file, whose provider is
// provider: a second one would make the directory refuse to load.
func mappedBy(dir, provider, file string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") || p == file {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var head struct {
			Provider string `yaml:"provider"`
		}
		if yaml.Unmarshal(b, &head) == nil && head.Provider == provider {
			return p
		}
	}
	return ""
}

// todo lists what to edit next.
func (sc *Scaffold) todo() {
	f := sc.Provider + ".yaml"
	if sc.SecretEnv != "" {
		sc.Todo = append(sc.Todo, fmt.Sprintf("set %s to the endpoint's signing secret (bridge check and bridge run read it)", sc.SecretEnv))
	} else {
		sc.Todo = append(sc.Todo, fmt.Sprintf("%s: signature scheme none accepts anyone's deliveries: choose the provider's scheme (docs/signatures.md)", f))
	}
	switch sc.Scheme {
	case "square", "twilio":
		sc.Todo = append(sc.Todo, fmt.Sprintf("%s: set webhook.signature.url to the public URL the provider calls", f))
	case "hmac":
		sc.Todo = append(sc.Todo, fmt.Sprintf("%s: set webhook.signature.header (and prefix, encoding...) as the provider signs", f))
	}
	sc.Todo = append(sc.Todo,
		fmt.Sprintf("%s: review each rule's TODO: module, entity_type/event_name, entity_id, source, data (no personal data consumers do not need)", f),
		fmt.Sprintf("%s: check idempotency_key names one delivery (the same on every retry, different for different deliveries)", f),
		"run bridge test after each change, and review the expected files it writes with --update")
}

// render writes the mapping file.
func (sc *Scaffold) render() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# %s webhooks -> CloudEvents. Proposed by `bridge new` from %d sample(s):", sc.Provider, sc.samples())
	w("# every guess below is marked TODO; review it, then run `bridge check` and")
	w("# `bridge test` (docs/mappings.md).")
	if sc.EventField != "" {
		w("#")
		w("# The event type is read from payload.%s; one rule per type seen.", sc.EventField)
	}
	w("provider: %s", yamlToken(sc.Provider))
	w("module: %s   # TODO: the module (domain) these events belong to, e.g. payments", yamlToken(sc.Provider))
	w("")
	w("webhook:")
	w("  signature:")
	if sc.SecretEnv == "" {
		w("    # TODO: `none` verifies nothing: anyone who reaches /webhooks/%s can post", sc.Provider)
		w("    # events. Choose the provider's scheme (docs/signatures.md); keep none")
		w("    # only behind another control such as mutual TLS.")
		w("    scheme: none")
	} else {
		w("    scheme: %s", sc.Scheme)
		w("    secret: '${%s}'", sc.SecretEnv)
		switch sc.Scheme {
		case "square", "twilio":
			w("    url: https://bridge.example.com/webhooks/%s   # TODO: the public URL the provider calls", sc.Provider)
		case "hmac":
			w("    header: X-Signature   # TODO: the header that carries the signature")
		}
	}
	w("")
	if sc.allHaveID() {
		w("# TODO: check that this is the same on every retry of a delivery and")
		w("# different for different deliveries (docs/mappings.md#idempotency).")
		// The id alone would give payment.created and payment.updated of
		// one object one key: the second taken for a duplicate. So the
		// event type joins it, and the field that tells apart samples of
		// one id and type that differ.
		key, joined := "payload.id", false
		if sc.allHaveEventField() {
			key, joined = `string(payload.id) + ":" + `+path{}.with(step{key: sc.EventField}).expr("payload"), true
		}
		if sc.KeyField != "" {
			if !joined {
				key = "string(payload.id)"
			}
			key += ` + ":" + string(` + path{}.with(step{key: sc.KeyField}).expr("payload") + ` ?? "")`
		}
		w("idempotency_key: %s", quoteYAML(key))
	} else {
		w("# TODO: no top-level id in every sample: without idempotency_key the")
		w("# scheme's delivery header, else the SHA-256 of the body, names a delivery.")
		w("# Name it with a field that is the same on every retry")
		w("# (docs/mappings.md#idempotency).")
	}
	w("")
	w("rules:")
	for i, r := range sc.Rules {
		if i > 0 {
			w("")
		}
		if r.When == "true" {
			if sc.EventField != "" {
				w("  # The samples without payload.%s; a catch-all, so it stays last.", sc.EventField)
			}
			w("  # TODO: split it by what tells these deliveries apart (a header, a field).")
		}
		w("  - name: %s", quoteYAML(r.Name))
		w("    when: %s", quoteYAML(r.When))
		w("    entity_type: %s   # TODO: the kind of thing whose state changed", yamlToken(r.EntityType))
		w("    event_name: %s", yamlToken(r.EventName))
		w("    entity_id: %s   # TODO: the provider's id of that entity", quoteYAML(r.EntityID))
		w("    source: %s   # TODO: the entity's URL at the provider", quoteYAML(r.Source))
		if r.Time != "" {
			w("    time: %s", quoteYAML(r.Time))
		} else {
			w("    # time: TODO: when it happened (no created/timestamp field found); default: the receive time")
		}
		w("    data:   # TODO: the entity's current state, a few meaningful fields")
		for _, d := range r.Data {
			w("      %s: %s", d.Key, quoteYAML(d.Expr))
		}
		w("    tests:")
		for _, f := range r.Fixtures {
			w("      - payload: %s", quoteYAML(f.Payload))
			w("        expect: %s", quoteYAML(f.Expect))
		}
	}
	return b.String()
}

func (sc *Scaffold) samples() int {
	n := 0
	for _, r := range sc.Rules {
		n += len(r.Fixtures)
	}
	return n
}

// allHaveEventField reports whether every sample has the event-type field
// as a string.
func (sc *Scaffold) allHaveEventField() bool {
	if sc.EventField == "" {
		return false
	}
	for _, r := range sc.Rules {
		for _, f := range r.Fixtures {
			v, _ := parseJSON(f.Body)
			if t, ok := v.get(sc.EventField); !ok || !t.isString() {
				return false
			}
		}
	}
	return true
}

func (sc *Scaffold) allHaveID() bool {
	for _, r := range sc.Rules {
		for _, f := range r.Fixtures {
			v, _ := parseJSON(f.Body)
			if id, ok := v.get("id"); !ok || !id.isID() {
				return false
			}
		}
	}
	return true
}
