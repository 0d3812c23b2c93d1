package signature

import (
	"crypto/hmac"
	"crypto/sha512"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// The hmac scheme's expressions, for a provider that signs something else
// than the body: signed says what is MAC'ed, mac where the MAC is (default:
// the whole header), timestamp where the signed timestamp is (checked
// against the tolerance). Each is an expr-lang expression compiled once,
// when the mapping loads, against signedEnv.
//
// They are bounded: a source of at most signedMaxSource bytes and
// signedMaxNodes nodes, a few string built-ins only, the shape
// signedshape.go allows (no let, loops or literals; body once, never
// scanned; matches with a literal pattern), the size of what they read
// (signedMaxReads), and a result of at most the body plus signedMaxExtra
// bytes.
const (
	signedMaxSource = 8 << 10
	signedMaxNodes  = 500
	signedMaxExtra  = 64 << 10
)

// signedBuiltins are the expr built-ins the expressions may call: string
// functions whose result is no larger than a small multiple of their
// argument.
var signedBuiltins = []string{"len", "lower", "upper", "trim", "trimPrefix", "trimSuffix", "hasPrefix", "hasSuffix",
	"indexOf", "lastIndexOf", "string", "int"}

// signedEnv is what the expressions see of a delivery.
type signedEnv struct {
	Body    string            `expr:"body"`    // the raw body
	Headers map[string]string `expr:"headers"` // first value of each header, canonical names
	Query   map[string]string `expr:"query"`   // first value of each query parameter
	URL     string            `expr:"url"`     // the url setting, plus "?" and the request's query when it has one
	Sig     map[string]string `expr:"sig"`     // the signature header's k=v parts, the first value of each
}

// signedVar is a bit set of the variables an expression reads, so that a
// delivery builds only those.
type signedVar uint8

const (
	varBody signedVar = 1 << iota
	varHeaders
	varQuery
	varURL
	varSig
)

var signedVarNames = map[string]signedVar{"body": varBody, "headers": varHeaders, "query": varQuery, "url": varURL, "sig": varSig}

// signedExpr is one compiled expression and the setting it came from.
type signedExpr struct {
	setting string
	prog    *vm.Program
	vars    signedVar
	reads   int // how many times it reads a variable other than body (signedShape)
}

var (
	stringType = reflect.TypeOf("")
	bytesType  = reflect.TypeOf([]byte(nil))
)

// compileSigned compiles the expression src of setting. A problem is a
// *ConfigError that gives, when expr does, the position in src.
func compileSigned(setting, src string) (*signedExpr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &ConfigError{Setting: setting, Msg: setting + ": empty expression"}
	}
	if len(src) > signedMaxSource {
		return nil, &ConfigError{Setting: setting, Msg: fmt.Sprintf("%s: the expression is %d bytes; at most %d are allowed", setting, len(src), signedMaxSource)}
	}
	opts := []expr.Option{expr.Env(signedEnv{}), expr.MaxNodes(signedMaxNodes), expr.DisableAllBuiltins()}
	for _, name := range signedBuiltins {
		opts = append(opts, expr.EnableBuiltin(name))
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		e := &exprError{ConfigError{Setting: setting, Msg: setting + ": " + err.Error()}, 0, 0}
		var fe *file.Error
		if errors.As(err, &fe) {
			e.Msg = setting + ": " + fe.Message
			e.line, e.column = fe.Line, fe.Column
		}
		if strings.Contains(e.Msg, "unknown name") {
			e.Msg += signedVarsHint[setting]
		}
		return nil, e
	}
	if t := prog.Node().Type(); t != nil && t.Kind() != reflect.Interface && t != stringType && t != bytesType {
		return nil, &ConfigError{Setting: setting, Msg: fmt.Sprintf("%s: expression must return a string, got %s", setting, t)}
	}
	reads, err := signedShape(setting, prog.Node())
	if err != nil {
		return nil, &ConfigError{Setting: setting, Msg: err.Error()}
	}
	e := &signedExpr{setting: setting, prog: prog, reads: reads}
	root := prog.Node()
	ast.Walk(&root, varVisitor{&e.vars})
	return e, nil
}

// exprError is a *ConfigError (errors.As finds it) about an expression,
// with the position in it that expr gives: line 1-based, column 0-based.
type exprError struct {
	ConfigError
	line, column int
}

// As makes errors.As find the ConfigError.
func (e *exprError) As(target any) bool {
	if p, ok := target.(**ConfigError); ok {
		*p = &e.ConfigError
		return true
	}
	return false
}

// signedVarsHint follows an unknown name in an expression of the setting.
var signedVarsHint = map[string]string{
	"signed":    " (signed is body, timestamp+body, or an expression over body, headers, query, url and sig)",
	"mac":       " (mac is an expression over body, headers, query, url and sig)",
	"timestamp": " (timestamp is an expression over body, headers, query, url and sig)",
}

type varVisitor struct{ vars *signedVar }

func (v varVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		*v.vars |= signedVarNames[id.Value]
	}
}

// run evaluates e. Its errors are what the caller is told: what failed
// and why, never a secret (the expressions see none).
func (e *signedExpr) run(env *signedEnv) (string, error) {
	if size := env.readSize(); e.reads > 0 && size > signedMaxReads/e.reads {
		return "", fmt.Errorf("%s: the request's headers or query are too large for this expression (a value of %d bytes, read up to %d times)", e.setting, size, e.reads)
	}
	out, err := expr.Run(e.prog, env)
	if err != nil {
		var fe *file.Error
		msg := err.Error()
		if errors.As(err, &fe) {
			msg = fe.Message
		}
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		return "", fmt.Errorf("%s: cannot evaluate: %s", e.setting, msg)
	}
	switch s := out.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("%s: returned %T, not a string", e.setting, out)
}

// newSignedEnv builds what vars of the expressions read: the request's
// URL u (nil: no query), the setting publicURL, headers h, the body, and
// the signature header's value raw.
func newSignedEnv(vars signedVar, publicURL string, u *url.URL, h http.Header, body []byte, raw string) *signedEnv {
	env := &signedEnv{}
	if vars&varBody != 0 {
		env.Body = string(body)
	}
	if vars&varHeaders != 0 {
		env.Headers = make(map[string]string, len(h))
		for k, v := range h {
			if len(v) > 0 {
				if ck := http.CanonicalHeaderKey(k); env.Headers[ck] == "" {
					env.Headers[ck] = v[0]
				}
			}
		}
	}
	rawQuery := ""
	if u != nil {
		rawQuery = u.RawQuery
	}
	if vars&varQuery != 0 {
		q, _ := url.ParseQuery(rawQuery) // the pairs that parse; a bad one is not there
		env.Query = make(map[string]string, len(q))
		for k, v := range q {
			env.Query[k] = v[0]
		}
	}
	if vars&varURL != 0 {
		env.URL = publicURL
		if rawQuery != "" {
			env.URL += "?" + rawQuery
		}
	}
	if vars&varSig != 0 {
		env.Sig = parseSigParts(raw)
	}
	return env
}

// compileExpressions reads the settings of an hmac scheme whose signed is
// the expression src: mac, timestamp (or timestamp_header, not both) and
// url, which is required when an expression reads url and only then.
func (v *hmacScheme) compileExpressions(s *settings, src string) {
	compile := func(setting, src string) *signedExpr {
		e, err := compileSigned(setting, src)
		if err != nil {
			s.errs = append(s.errs, err)
			return nil
		}
		v.vars |= e.vars
		return e
	}
	v.signed = compile("signed", src)
	if s.has("mac") {
		v.mac = compile("mac", s.get("mac", ""))
	}
	if s.has("separator") {
		s.errf("separator", "separator is only used when signed is %s (an expression writes its own)", hmacSignedTSBody)
	}
	switch {
	case s.has("timestamp") && s.has("timestamp_header"):
		s.errf("timestamp", "timestamp and timestamp_header both name the signed timestamp: give one")
	case s.has("timestamp"):
		v.timestamp = compile("timestamp", s.get("timestamp", ""))
	case s.has("timestamp_header"):
		v.tsHeader = s.header("timestamp_header", "", false)
		v.checkTSHeader(s)
	}
	switch {
	case v.vars&varURL != 0:
		v.url = publicURL(s, s.scheme)
		if strings.ContainsAny(v.url, "?#") {
			s.errf("url", "url %q must not hold a query or fragment: the query of each request is appended to it", v.url)
		}
	case s.has("url"):
		s.errf("url", "url is only used when an expression reads url")
	}
}

// verifySigned checks a delivery against the expressions: the MAC from
// the header (or mac's part of it), the timestamp's freshness, then the
// MAC of what signed builds with every key. An expression that fails on
// this delivery rejects it as malformed, saying which and why.
func (v *hmacScheme) verifySigned(u *url.URL, h http.Header, body []byte, now time.Time) error {
	raw := h.Get(v.header)
	if raw == "" {
		return &Error{ReasonMissing, v.header, "header is missing"}
	}
	if len(raw) > hmacMaxSignatureSz {
		return &Error{ReasonMalformed, v.header, v.want()}
	}
	env := newSignedEnv(v.vars, v.url, u, h, body, raw)
	text := raw
	if v.mac != nil {
		var err error
		if text, err = v.mac.run(env); err != nil {
			return &Error{ReasonMalformed, v.header, err.Error()}
		}
		if text == "" {
			return &Error{ReasonMalformed, v.header, "mac: no MAC in the header: " + v.want()}
		}
	}
	sig, ok := v.decode(text)
	if !ok {
		return &Error{ReasonMalformed, v.header, v.want()}
	}
	var ts string // the signed timestamp, which must be in the signed content
	switch {
	case v.tsHeader != "":
		if _, err := signedTimestamp(h, v.tsHeader, parseTimestamp, "want a unix time in seconds or an RFC 3339 time", v.tolerance, now); err != nil {
			return err
		}
		ts = h.Get(v.tsHeader)
	case v.timestamp != nil:
		var err error
		ts, err = v.timestamp.run(env)
		if err != nil {
			return &Error{ReasonMalformed, v.header, err.Error()}
		}
		if ts == "" {
			return &Error{ReasonMissing, v.header, "timestamp: no signed timestamp in the request"}
		}
		at, ok := parseTimestamp(ts)
		if !ok {
			return &Error{ReasonMalformed, v.header, "timestamp: want a unix time in seconds or an RFC 3339 time"}
		}
		if !fresh(at, now, v.tolerance) {
			return &Error{ReasonExpired, v.header, "timestamp outside the tolerance of " + v.tolerance.String()}
		}
	}
	content, err := v.signed.run(env)
	if err != nil {
		return &Error{ReasonMalformed, v.header, err.Error()}
	}
	if limit := len(body) + signedMaxExtra; len(content) > limit {
		return &Error{ReasonMalformed, v.header, fmt.Sprintf("signed: the content to sign is %d bytes, more than the body and %d bytes", len(content), signedMaxExtra)}
	}
	if ts != "" && !strings.Contains(content, ts) {
		// A timestamp checked but not signed proves nothing: a replay
		// would set it to now. Refused, so that a file cannot look
		// replay-protected when it is not.
		return &Error{ReasonMalformed, v.header, "timestamp: the signed timestamp is not in the signed content (make signed include it)"}
	}
	var sum [sha512.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(v.newHash, key)
		mac.Write([]byte(content))
		if hmac.Equal(sig, mac.Sum(sum[:0])) {
			return nil
		}
	}
	return &Error{ReasonMismatch, v.header, fmt.Sprintf("no signature matches the signed expression's content (%d bytes: compare with what the provider signs, byte for byte; a trailing newline counts)", len(content))}
}

// parseSigParts reads a signature header of comma-separated k=v parts
// ("t=1700000000,v1=5257a8...") into a map of the first value of each key;
// spaces around a part are ignored, and a part without "=" or with an
// empty key is not there. A header with no such part gives an empty map.
func parseSigParts(raw string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(raw, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			continue
		}
		if _, seen := out[k]; !seen {
			out[k] = v
		}
	}
	return out
}

// exprNode is a node at the position of a problem inside an expression
// written as the value of the YAML node n (line 1-based, column 0-based,
// as expr gives them): where the file's diagnostic goes. transform places
// its own expressions' problems the same way.
func exprNode(n *yaml.Node, line, col int) *yaml.Node {
	if line < 1 {
		line = 1
	}
	at := &yaml.Node{Line: n.Line + line - 1, Column: col + 1}
	switch {
	case n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle:
		// The text starts on the line after the indicator; its
		// indentation is not kept by the parser, so the column is
		// approximate.
		at.Line, at.Column = n.Line+line, n.Column+2+col
	case line == 1 && (n.Style == yaml.SingleQuotedStyle || n.Style == yaml.DoubleQuotedStyle):
		at.Column = n.Column + 1 + col
	case line == 1:
		at.Column = n.Column + col
	}
	return at
}

// SignsQuery reports whether v's signature covers the request's query:
// square and twilio sign the URL, mercadopago its data.id, and hmac when
// its signed expression reads query or url. Under any other scheme the
// query is whatever the sender (or a replayer) chose.
func SignsQuery(v Verifier) bool {
	switch v := v.(type) {
	case *square, *twilio, *mercadoPago:
		return true
	case *hmacScheme:
		return v.signed != nil && v.signed.vars&(varQuery|varURL) != 0
	}
	return false
}
