package transform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// IngestBackfill is the ingest kind of the items `bridge backfill` reads
// from a provider's list API (a mapping file's backfill: block).
const IngestBackfill = "backfill"

// Backfill is a mapping file's backfill: block: how `bridge backfill`
// pages through the provider's list API. Its credentials are ${VAR}
// references read from the environment when a backfill runs
// (Authorize), not when the file loads: bridge run never needs them.
type Backfill struct {
	// URL is the list API's address (http or https; plain http only to a
	// loopback host).
	URL string
	// Line is the line of the block in its file.
	Line int

	auth  backfillAuth
	query []queryParam // sorted by name
	items *program
	next  *program
}

// queryParam is one entry of the block's query: a name and the
// expression over since and until that gives its value (a list: the
// parameter repeated).
type queryParam struct {
	name string
	prog *program
}

// backfillAuth is the block's auth: at most one of bearer, basic, header.
type backfillAuth struct {
	kind   string // "", "bearer", "basic" or "header"
	header string // the header's name (header)
	// values are the references (or, for basic's user, a literal): bearer
	// [token], basic [user, password], header [value].
	values  []authValue
	setting string // e.g. backfill.auth.bearer
}

// authValue is one credential: a ${VAR} reference, or a literal where a
// literal is allowed (basic's user name; an empty password).
type authValue struct {
	env     string // the variable; "" for a literal
	literal string
}

// queryEnv is what the expressions of backfill.query see.
type queryEnv struct {
	Since  time.Time `expr:"since"`
	Until  time.Time `expr:"until"`
	Budget *budget   `expr:"__bridge_budget"`
}

// pageEnv is what backfill.items and backfill.next see: the decoded page.
type pageEnv struct {
	Page   any     `expr:"page"`
	Budget *budget `expr:"__bridge_budget"`
}

// Backfill returns the file's backfill: block; nil when it has none.
func (m *Mapping) Backfill() *Backfill { return m.backfill }

var headerNameRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// backfillBlock reads and compiles the backfill: block.
func (l *loader) backfillBlock(n *yaml.Node) *Backfill {
	b := &Backfill{Line: n.Line}
	byKey := map[string]*yaml.Node{}
	for _, p := range l.fields(n, "", "backfill", "url", "auth", "query", "items", "next") {
		byKey[p[0].Value] = p[1]
	}
	if u := byKey["url"]; u != nil {
		if s, ok := l.scalar(u, "", "backfill.url"); ok {
			if err := CheckBackfillURL(s); err != nil {
				l.errf(u, "", "backfill.url: %v", err)
			}
			b.URL = s
		}
	} else {
		l.errf(n, "", "backfill.url is required: the provider's list API, e.g. https://api.stripe.com/v1/events")
	}
	if a := byKey["auth"]; a != nil {
		b.auth = l.backfillAuth(a)
	}
	if q := byKey["query"]; q != nil {
		for _, p := range l.fields(q, "", "backfill.query") {
			field := "backfill.query." + p[0].Value
			if prog := l.compile(p[1], "", field, queryEnv{}, kindsQuery); prog != nil {
				b.query = append(b.query, queryParam{name: p[0].Value, prog: prog})
			}
		}
		sort.Slice(b.query, func(i, j int) bool { return b.query[i].name < b.query[j].name })
	}
	if it := byKey["items"]; it != nil {
		b.items = l.compile(it, "", "backfill.items", pageEnv{}, kindsList)
	} else {
		l.errf(n, "", "backfill.items is required: the expression over page that gives the page's list of items, e.g. page.data")
	}
	if nx := byKey["next"]; nx != nil {
		b.next = l.compile(nx, "", "backfill.next", pageEnv{}, resultKinds{name: "a map or nil", kinds: []reflect.Kind{reflect.Map}})
	}
	return b
}

// backfillAuth reads backfill.auth: exactly one of {bearer: REF},
// {basic: [USER, PASSWORD]} or {header: NAME, value: REF}.
func (l *loader) backfillAuth(n *yaml.Node) backfillAuth {
	var a backfillAuth
	byKey := map[string]*yaml.Node{}
	for _, p := range l.fields(n, "", "backfill.auth", "bearer", "basic", "header", "value") {
		byKey[p[0].Value] = p[1]
	}
	var kinds []string
	for _, k := range []string{"bearer", "basic", "header"} {
		if byKey[k] != nil {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		if len(kinds) == 0 && len(byKey) == 0 || len(kinds) > 1 {
			l.errf(n, "", "backfill.auth must have exactly one of bearer, basic or header, got %d", len(kinds))
		} else if len(kinds) == 0 {
			l.errf(n, "", "backfill.auth: value goes with header: {header: Name, value: '${VAR}'}")
		}
		return a
	}
	a.kind = kinds[0]
	a.setting = "backfill.auth." + a.kind
	if v := byKey["value"]; v != nil && a.kind != "header" {
		l.errf(v, "", "backfill.auth.value goes only with header: {header: Name, value: '${VAR}'}")
	}
	switch a.kind {
	case "bearer":
		if v, ok := l.authRef(byKey["bearer"], "backfill.auth.bearer", false); ok {
			a.values = []authValue{v}
		}
	case "basic":
		bn := byKey["basic"]
		if bn.Kind != yaml.SequenceNode || len(bn.Content) != 2 {
			l.errf(bn, "", "backfill.auth.basic must be a list of two: [user, password], e.g. ['${STRIPE_API_KEY}', '']")
			return a
		}
		user, okU := l.authRef(bn.Content[0], "backfill.auth.basic user", true)
		pass, okP := l.authRef(bn.Content[1], "backfill.auth.basic password", false)
		if okU && okP {
			a.values = []authValue{user, pass}
		}
	case "header":
		name, ok := l.scalar(byKey["header"], "", "backfill.auth.header")
		if ok && !headerNameRE.MatchString(name) {
			l.errf(byKey["header"], "", "backfill.auth.header %q is not a header name", name)
		}
		a.header = http.CanonicalHeaderKey(name)
		vn := byKey["value"]
		if vn == nil {
			l.errf(n, "", "backfill.auth.value is required with header: {header: %s, value: '${VAR}'}", name)
			return a
		}
		if v, ok := l.authRef(vn, "backfill.auth.value", false); ok {
			a.values = []authValue{v}
		}
	}
	return a
}

// authRef reads one credential: a ${VAR} reference, or with literalOK a
// literal (a user name), or "" (an empty password). A secret written in the
// file is refused, as every secret of a mapping file is.
func (l *loader) authRef(n *yaml.Node, what string, literalOK bool) (authValue, bool) {
	s, ok := l.scalar(n, "", what)
	if !ok {
		return authValue{}, false
	}
	if m := envRefRE.FindStringSubmatch(s); m != nil {
		return authValue{env: m[1]}, true
	}
	if literalOK || s == "" && strings.HasSuffix(what, "password") {
		return authValue{literal: s}, true
	}
	l.errf(n, "", "%s must be an environment reference like ${STRIPE_API_KEY}; secrets are never written in mapping files", what)
	return authValue{}, false
}

// CheckBackfillURL checks a list API's address: absolute, http or https,
// and https unless the host is a loopback one (a local fake or proxy): the
// request carries the provider's API key.
func CheckBackfillURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("the url is not an absolute http(s) URL")
	}
	if u.User != nil {
		// A key written in the URL would sit in the file (or the shell's
		// history) and be printed with it: credentials go in auth.
		bare := *u
		bare.User = nil
		return fmt.Errorf("%q holds a user or password (not shown): give credentials in auth, from the environment", bare.String())
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: http is allowed only to a loopback host; the request carries the provider's API key, use https", s)
	}
	return fmt.Errorf("%q: scheme %q is not http or https", s, u.Scheme)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SecretRefs lists the environment variables the block's auth reads.
func (b *Backfill) SecretRefs() []SecretRef {
	var out []SecretRef
	for _, v := range b.auth.values {
		if v.env != "" {
			out = append(out, SecretRef{Setting: b.auth.setting, Env: v.env})
		}
	}
	return out
}

// ErrBackfillSecret is wrapped by Authorize when a variable the auth
// names is not set.
var ErrBackfillSecret = errors.New("backfill credentials")

// Authorize sets h's credentials as the block's auth says, each ${VAR}
// read from lookupEnv now. An error names the setting and the variable,
// never a value.
func (b *Backfill) Authorize(h http.Header, lookupEnv func(string) (string, bool)) error {
	vals := make([]string, len(b.auth.values))
	var errs []error
	for i, v := range b.auth.values {
		if v.env == "" {
			vals[i] = v.literal
			continue
		}
		s, ok := lookupEnv(v.env)
		if !ok || s == "" {
			errs = append(errs, fmt.Errorf("%w: %s: environment variable %s is not set", ErrBackfillSecret, b.auth.setting, v.env))
		}
		vals[i] = s
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	switch b.auth.kind {
	case "bearer":
		h.Set("Authorization", "Bearer "+vals[0])
	case "basic":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(vals[0]+":"+vals[1])))
	case "header":
		h.Set(b.auth.header, vals[0])
	}
	return nil
}

// AuthHeader is the header the credentials travel in ("" without auth):
// what a client must keep out of anything it prints.
func (b *Backfill) AuthHeader() string {
	switch b.auth.kind {
	case "bearer", "basic":
		return "Authorization"
	case "header":
		return b.auth.header
	}
	return ""
}

// Query evaluates the block's query over since and until: the parameters
// of the first request.
func (b *Backfill) Query(ctx context.Context, since, until time.Time) (url.Values, error) {
	q := url.Values{}
	for _, p := range b.query {
		v, err := p.prog.run(&queryEnv{Since: since, Until: until, Budget: newBudget(ctx, DefaultLimits)})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.prog.field, err)
		}
		switch x := v.(type) {
		case string:
			q.Set(p.name, x)
		case []any: // a repeated parameter: types[]=a&types[]=b
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%s: a list's elements must be strings, got %T", p.prog.field, e)
				}
				q.Add(p.name, s)
			}
		default:
			return nil, fmt.Errorf("%s: expression must return a string or a list of strings, got %T", p.prog.field, v)
		}
	}
	return q, nil
}

// kindsQuery is what a backfill.query expression may return.
var kindsQuery = resultKinds{name: "a string or a list of strings", kinds: []reflect.Kind{reflect.String, reflect.Slice, reflect.Array}}

// Items evaluates backfill.items over a decoded page: its list of items.
func (b *Backfill) Items(ctx context.Context, page any) ([]any, error) {
	v, err := b.items.run(&pageEnv{Page: page, Budget: newBudget(ctx, DefaultLimits)})
	if err != nil {
		return nil, fmt.Errorf("backfill.items: %w", err)
	}
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, errors.New("backfill.items: the page has no list there (nil)")
	}
	return nil, fmt.Errorf("backfill.items: expression must return a list, got %T", v)
}

// Next evaluates backfill.next over a decoded page: the parameters that
// the next request adds to (or replaces in) the query; ok is false when
// there is no next page (nil, or the block has no next).
func (b *Backfill) Next(ctx context.Context, page any) (params map[string]string, ok bool, err error) {
	if b.next == nil {
		return nil, false, nil
	}
	v, err := b.next.run(&pageEnv{Page: page, Budget: newBudget(ctx, DefaultLimits)})
	if err != nil {
		return nil, false, fmt.Errorf("backfill.next: %w", err)
	}
	if v == nil {
		return nil, false, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false, fmt.Errorf("backfill.next: expression must return a map or nil, got %T", v)
	}
	params = make(map[string]string, len(m))
	for k, x := range m {
		switch s := x.(type) {
		case string:
			params[k] = s
		case bool:
			params[k] = strconv.FormatBool(s)
		case json.Number, float64, int, int64:
			str, _ := idString(s)
			params[k] = str
		default:
			return nil, false, fmt.Errorf("backfill.next: %s must be a string or a number, got %T", k, x)
		}
	}
	return params, true, nil
}

// checkBackfillKeys refuses a backfill: block in a file whose events are
// not all keyed by an idempotency_key expression: an item of a list API is
// written again from the decoded page and comes without the webhook's
// headers, so neither the raw body's hash nor a delivery header would name
// it as the webhook named the same event; every backfilled event would be
// stored a second time.
func (l *loader) checkBackfillKeys(m *Mapping) {
	if m.backfill == nil || m.idemKey != nil {
		return
	}
	for _, r := range m.rules {
		if r.idemKey == nil && !r.Drop {
			l.errf(r.node, r.Name, "the file has a backfill: block, but this rule's events have no idempotency_key: "+
				"a backfilled item would not be a duplicate of the same event delivered by webhook; "+
				"set idempotency_key (the file's or the rule's) to the provider's event id, e.g. payload.id")
		}
	}
}
