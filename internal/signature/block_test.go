package signature

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/yamlcheck"
	"gopkg.in/yaml.v3"
)

// signatureEnv holds the secrets the mapping snippets below refer to.
var signatureEnv = map[string]string{
	"SW_SECRET":     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	"SW_OLD":        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
	"HMAC_SECRET":   "It's a Secret to Everybody",
	"TOKEN":         "tok-1",
	"BASIC":         "Aladdin:open sesame",
	"NOT_BASE64":    "whsec_not base64!",
	"PASSWORD_ONLY": "open sesame",
}

// envSecret resolves a ${VAR} reference from signatureEnv, as the mapping
// loader resolves it from the environment.
func envSecret(value, what string) (Secret, error) {
	name, ok := strings.CutPrefix(value, "${")
	if name, ok = strings.CutSuffix(name, "}"); !ok || name == "" {
		return "", fmt.Errorf("%s must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files", what)
	}
	v, ok := signatureEnv[name]
	if !ok || v == "" {
		return "", fmt.Errorf("%s: environment variable %s is not set (a mapping with a missing secret does not load)", what, name)
	}
	return Secret(v), nil
}

// parseSignature reads the webhook: block of a mapping file f.yaml whose
// first line under webhook: is line 4, and returns the verifier of its
// signature block and the diagnostics as the loader prints them.
func parseSignature(t *testing.T, webhook string) (Verifier, []string) {
	t.Helper()
	src := "provider: shop\nmodule: m\nwebhook:\n" + webhook + "\n"
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var sig *yaml.Node
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "webhook" {
			continue
		}
		w := root.Content[i+1]
		for j := 0; j+1 < len(w.Content); j += 2 {
			if w.Content[j].Value == "signature" {
				sig = w.Content[j+1]
			}
		}
	}
	if sig == nil {
		t.Fatalf("no webhook.signature in\n%s", src)
	}
	v, ds := ParseBlock(sig, BlockOptions{Secret: envSecret})
	// In file order, as the loader sorts them.
	slices.SortStableFunc(ds, func(a, b yamlcheck.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("f.yaml:%d:%d: %s", d.Line, d.Column, d.Msg))
	}
	return v, got
}

func hmacHexOf(key, content string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(content))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignatureSettingsLoad(t *testing.T) {
	tests := []struct {
		name     string
		webhook  string // the lines under webhook:, the first one is line 4
		delivery string
		header   http.Header // a delivery the loaded verifier must accept
		body     string
	}{
		{"standard-webhooks, rotating", `  signature:
    scheme: standard-webhooks
    secrets: ['${SW_SECRET}', '${SW_OLD}']
    tolerance: 10m`, "Webhook-Id",
			http.Header{"Webhook-Id": {"msg_p5jXN8AQM9LWM0D4loKWxJek"}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
			`{"test": 2432232314}`},
		{"hmac, every setting", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'
    header: X-Signature
    algorithm: sha256
    encoding: hex
    prefix: ''
    signed: timestamp+body
    timestamp_header: X-Timestamp
    separator: ''
    delivery_header: x-delivery
    tolerance: 1m`, "X-Delivery",
			http.Header{"X-Timestamp": {"1614265330"}, "X-Signature": {hmacHexOf("It's a Secret to Everybody", "1614265330{}")}}, "{}"},
		{"hmac as github", `  signature: {scheme: hmac, secret: '${HMAC_SECRET}', header: X-Hub-Signature-256, prefix: sha256=}`, "",
			http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}, "Hello, World!"},
		{"token, bearer by default", `  signature: {scheme: token, secret: '${TOKEN}'}`, "",
			http.Header{"Authorization": {"Bearer tok-1"}}, "{}"},
		{"token, gitlab", `  signature: {scheme: token, secret: '${TOKEN}', header: X-Gitlab-Token, delivery_header: idempotency-key}`, "Idempotency-Key",
			http.Header{"X-Gitlab-Token": {"tok-1"}}, "{}"},
		{"basic", `  signature:
    scheme: basic
    secrets: ['${BASIC}']`, "",
			http.Header{"Authorization": {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}}, "{}"},
		{"stripe as before", `  signature: {scheme: stripe, secret: '${SW_SECRET}', tolerance: 5m}`, "", nil, ""},
		{"github as before", `  signature: {scheme: github, secret: '${HMAC_SECRET}'}`, "X-Github-Delivery",
			http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}, "Hello, World!"},
		{"none as before", `  signature: {scheme: none}`, "", http.Header{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, problems := parseSignature(t, tc.webhook)
			if len(problems) > 0 {
				t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
			}
			if got := v.DeliveryHeader(); got != tc.delivery {
				t.Errorf("DeliveryHeader = %q, want %q", got, tc.delivery)
			}
			if tc.header != nil {
				if err := v.Verify(tc.header, []byte(tc.body), time.Unix(1614265330, 0)); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
		})
	}
}

func TestSignatureSettingsProblems(t *testing.T) {
	tests := []struct {
		name    string
		webhook string   // the lines under webhook:, the first one is line 4
		want    []string // every problem, whole lines
	}{
		{"unknown key for the scheme", `  signature:
    scheme: token
    secret: '${TOKEN}'
    algorithm: sha256`,
			[]string{`f.yaml:7:5: unknown key "algorithm" in webhook.signature for scheme token (known keys: scheme, secret, secrets, tolerance, header, prefix, delivery_header)`}},
		{"settings on a scheme without any", `  signature:
    scheme: github
    secret: '${HMAC_SECRET}'
    header: X-Hub-Signature-256`,
			[]string{`f.yaml:7:5: unknown key "header" in webhook.signature for scheme github (known keys: scheme, secret, secrets, tolerance)`}},
		{"a key no scheme takes", `  signature: {scheme: hmac, secret: '${HMAC_SECRET}', header: X-Sig, colour: red}`,
			[]string{`f.yaml:4:70: unknown key "colour" in webhook.signature for scheme hmac (known keys: scheme, secret, secrets, tolerance, header, algorithm, encoding, prefix, signed, timestamp_header, separator, delivery_header, mac, timestamp, url)`}},
		{"unknown scheme: only the scheme is blamed", `  signature: {scheme: hmac256, secret: '${HMAC_SECRET}', header: X-Sig}`,
			[]string{`f.yaml:4:23: webhook.signature: unknown signature scheme "hmac256" (want one of ` + fmt.Sprint(Schemes()) + `)`}},
		{"standard-webhooks: a secret that is not whsec_", `  signature:
    scheme: standard-webhooks
    secrets:
      - '${SW_SECRET}'
      - '${NOT_BASE64}'
      - '${UNSET}'
      - '${SW_OLD}'`,
			[]string{
				`f.yaml:8:9: webhook.signature: secret 2 is not a Standard Webhooks secret: want whsec_ followed by base64`,
				`f.yaml:9:9: webhook.signature.secrets entry: environment variable UNSET is not set (a mapping with a missing secret does not load)`,
			}},
		{"hmac: header missing", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'`,
			[]string{`f.yaml:5:13: webhook.signature: header is required by scheme hmac (the name of the header)`}},
		{"hmac: each value wrong", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'
    header: X Signature
    algorithm: sha1
    encoding: base32
    prefix: [sha256=]
    signed: everything
    delivery_header: 'X-Id:'
    tolerance: 0s`,
			[]string{
				`f.yaml:7:13: webhook.signature: header "X Signature" is not a header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`,
				`f.yaml:8:16: webhook.signature: algorithm "sha1" is not supported by scheme hmac (want sha256 or sha512)`,
				`f.yaml:9:15: webhook.signature: encoding "base32" is not supported by scheme hmac (want hex or base64)`,
				`f.yaml:10:13: webhook.signature.prefix must be a single value, got a list`,
				`f.yaml:11:13: webhook.signature: signed: unknown name everything (signed is body, timestamp+body, or an expression over body, headers, query, url and sig)`,
				`f.yaml:12:22: webhook.signature: delivery_header "X-Id:" is not a header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`,
				`f.yaml:13:16: webhook.signature.tolerance "0s" must be a positive duration like 5m`,
			}},
		{"hmac: timestamp+body without its header", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'
    header: X-Signature
    signed: timestamp+body`,
			[]string{`f.yaml:5:13: webhook.signature: timestamp_header is required by scheme hmac (the name of the header)`}},
		{"hmac: timestamp settings with the body alone", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'
    header: X-Signature
    timestamp_header: X-Timestamp
    separator: ':'`,
			[]string{
				`f.yaml:8:23: webhook.signature: timestamp_header is only used when signed is timestamp+body or an expression`,
				`f.yaml:9:16: webhook.signature: separator is only used when signed is timestamp+body or an expression`,
			}},
		{"hmac: setting with nothing", `  signature:
    scheme: hmac
    secret: '${HMAC_SECRET}'
    header:`,
			[]string{`f.yaml:7:12: webhook.signature.header must be a single value, got nothing`}},
		{"token: bad header name", `  signature: {scheme: token, secret: '${TOKEN}', header: 'Authorization:'}`,
			[]string{`f.yaml:4:58: webhook.signature: header "Authorization:" is not a header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`}},
		{"token: no secret", `  signature: {scheme: token, header: X-Gitlab-Token}`,
			[]string{`f.yaml:4:23: webhook.signature: scheme token needs at least one secret`}},
		{"token: literal secret", `  signature: {scheme: token, secret: tok-1}`,
			[]string{`f.yaml:4:38: webhook.signature.secret must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files`}},
		{"basic: a secret without a colon", `  signature:
    scheme: basic
    secret: '${BASIC}'
    secrets: ['${PASSWORD_ONLY}']`,
			[]string{`f.yaml:7:15: webhook.signature: secret 2 must be user:password (the user and the password joined by a colon)`}},
		{"basic: a header setting", `  signature:
    scheme: basic
    secret: '${BASIC}'
    header: Authorization
    prefix: 'Basic '`,
			[]string{
				`f.yaml:7:5: unknown key "header" in webhook.signature for scheme basic (known keys: scheme, secret, secrets, tolerance, delivery_header)`,
				`f.yaml:8:5: unknown key "prefix" in webhook.signature for scheme basic (known keys: scheme, secret, secrets, tolerance, delivery_header)`,
			}},
		{"negative tolerance reported once", `  signature: {scheme: standard-webhooks, secret: '${SW_SECRET}', tolerance: -1m}`,
			[]string{`f.yaml:4:77: webhook.signature.tolerance "-1m" must be a positive duration like 5m`}},
		{"scheme missing", `  signature: {secret: '${TOKEN}', header: X}`,
			[]string{`f.yaml:4:14: webhook.signature.scheme is required (one of ` + strings.Join(Schemes(), ", ") + `)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, got := parseSignature(t, tc.webhook)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if v != nil {
				t.Error("a verifier was returned with the diagnostics")
			}
			for _, secret := range signatureEnv {
				if strings.Contains(strings.Join(got, "\n"), secret) {
					t.Errorf("a problem quotes the secret %q", secret)
				}
			}
		})
	}
}

// A mapping's own tolerance reaches its verifier: a signature as old as
// the tolerance allows is accepted, one a minute older is not.
func TestSignatureToleranceReachesTheVerifier(t *testing.T) {
	const signedAt = 1614265330
	h := func() http.Header {
		return http.Header{"X-Timestamp": {"1614265330"}, "X-Signature": {hmacHexOf("It's a Secret to Everybody", "1614265330{}")}}
	}
	for _, tc := range []struct {
		tolerance string
		age       time.Duration
		ok        bool
	}{
		{"2m", 2 * time.Minute, true},
		{"2m", 3 * time.Minute, false},
		{"10m", 9 * time.Minute, true},
		{"10m", 11 * time.Minute, false},
	} {
		v, problems := parseSignature(t, "  signature: {scheme: hmac, secret: '${HMAC_SECRET}', header: X-Signature, signed: timestamp+body, timestamp_header: X-Timestamp, separator: '', tolerance: "+tc.tolerance+"}")
		if len(problems) > 0 {
			t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
		}
		err := v.Verify(h(), []byte("{}"), time.Unix(signedAt, 0).Add(tc.age))
		if (err == nil) != tc.ok {
			t.Errorf("tolerance %s, signature %s old: %v, want accepted %v", tc.tolerance, tc.age, err, tc.ok)
		}
	}
}

// With placeholders, a resolved secret is replaced by the scheme's
// placeholder (a standard-webhooks secret that is not whsec_ then loads);
// one that did not resolve is still reported. Without a resolver, every
// secret is refused.
func TestParseBlockOptions(t *testing.T) {
	parse := func(src string, opts BlockOptions) (Verifier, []yamlcheck.Diagnostic) {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		return ParseBlock(doc.Content[0], opts)
	}
	const notWhsec = "{scheme: standard-webhooks, secrets: ['${NOT_BASE64}']}"
	if v, ds := parse(notWhsec, BlockOptions{Secret: envSecret}); v != nil || len(ds) != 1 {
		t.Errorf("the real secret: %v, %v; want one diagnostic", v, ds)
	}
	if v, ds := parse(notWhsec, BlockOptions{Secret: envSecret, Placeholders: true}); v == nil || len(ds) > 0 {
		t.Errorf("placeholders: %v, %v; want a verifier", v, ds)
	}
	v, ds := parse("{scheme: token, secret: '${UNSET}'}", BlockOptions{Secret: envSecret, Placeholders: true})
	if v != nil || len(ds) != 1 || !strings.Contains(ds[0].Msg, "UNSET is not set") || ds[0].Line != 1 || ds[0].Column != 25 {
		t.Errorf("an unresolved secret with placeholders: %v, %+v", v, ds)
	}
	v, ds = parse("{scheme: token, secret: '${TOKEN}'}", BlockOptions{})
	if v != nil || len(ds) != 1 || !strings.Contains(ds[0].Msg, "webhook.signature.secret: no way to resolve secrets here") {
		t.Errorf("without a resolver: %v, %+v", v, ds)
	}
}
