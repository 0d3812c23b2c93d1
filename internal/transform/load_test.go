package transform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/signature"
)

const validRule = `
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://x.example/" + payload.id'`

func TestParseReportsEveryProblemWithItsPosition(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each a whole line of the error
	}{
		{"unknown file key", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrulez: []\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:4:1: unknown key "rulez" in mapping file (known keys: provider, module, accepts, webhook, idempotency_key, secrets, let, redact, rules, backfill)`}},
		{"unknown rule key and bad token", "provider: Shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - when: true\n    colour: red" + validRule,
			[]string{
				`f.yaml:1:11: provider "Shop" must be lower case letters, digits and underscores ([a-z0-9_]+)`,
				`f.yaml:6:5: rule "0": unknown key "colour" in rule 0 (known keys: name, when, drop, module, entity_type, event_name, entity_id, source, time, dataschema, data, each, idempotency_key, schema, tests)`,
			}},
		{"expression errors keep expr's column", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: r\n    when: payload.kind == \"x\" &&& true" + validRule + "\n    data:\n      a: 'upper(1)'\n      b: nosuchfn(payload)\n      c: item.x",
			[]string{
				`f.yaml:6:33: rule "r": when: unexpected token Operator("&")`,
				`f.yaml:12:17: rule "r": data.a: cannot use int as argument (type string) to call upper `,
				`f.yaml:13:10: rule "r": data.b: unknown name nosuchfn`,
				`f.yaml:14:10: rule "r": data.c: unknown name item`,
			}},
		{"result types are checked", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: r\n    when: payload.x\n    each: '1'\n    time: 'true'" + validRule,
			[]string{
				`f.yaml:7:11: rule "r": each: expression must return a list, got int`,
				`f.yaml:8:11: rule "r": time: expression must return a time or an RFC 3339 string, got bool`,
			}},
		{"missing signature fails closed", "provider: shop\nmodule: m\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:1:1: the file serves no ingestor: it has no webhook: block and no accepts; add a webhook: block (webhooks), or accepts: [nats] or [events]`}},
		{"accepting webhooks needs a signature", "provider: shop\nmodule: m\naccepts: [webhook, nats]\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:1:1: webhook.signature is required for a file that accepts webhooks; write {scheme: none} to accept unsigned deliveries, or leave webhook out of accepts`}},
		{"empty accepts serves nothing", "provider: shop\nmodule: m\naccepts: []\nwebhook: {signature: {scheme: none}}\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:3:10: accepts is empty: the file would serve no ingestor; list webhook, nats or events`}},
		{"envelope.auth is not readable", "provider: shop\nmodule: m\naccepts: [events]\nrules:\n  - when: envelope.auth.token == \"x\"" + validRule,
			[]string{`f.yaml:5:20: rule "0": when: envelope.auth is not available to expressions: the events endpoint checks credentials (--events-auth) and they never reach a mapping`}},
		{"no signature needed when webhooks are not accepted", "provider: shop\nmodule: m\naccepts: [nats]\nrules:\n  - when: true" + validRule, nil},
		{"missing secret fails closed", "provider: shop\nmodule: m\nwebhook:\n  signature: {scheme: stripe, secret: '${NOT_SET_ANYWHERE}'}\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:4:39: webhook.signature.secret: environment variable NOT_SET_ANYWHERE is not set (a mapping with a missing secret does not load)`}},
		{"literal secret refused", "provider: shop\nmodule: m\nwebhook:\n  signature: {scheme: stripe, secret: whsec_abc}\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:4:39: webhook.signature.secret must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files`}},
		{"unknown scheme", "provider: shop\nmodule: m\nwebhook:\n  signature: {scheme: md5}\nrules:\n  - when: true" + validRule,
			[]string{`f.yaml:4:23: webhook.signature: unknown signature scheme "md5" (want one of ` + fmt.Sprint(signature.Schemes()) + `)`}},
		{"required rule fields", "provider: shop\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: r\n    when: true\n    dataschema: not-a-uri",
			[]string{
				`f.yaml:4:5: rule "r": module is required (in the rule or at the top of the file)`,
				`f.yaml:4:5: rule "r": entity_type is required`,
				`f.yaml:4:5: rule "r": event_name is required`,
				`f.yaml:4:5: rule "r": entity_id is required`,
				`f.yaml:4:5: rule "r": source is required`,
				`f.yaml:6:17: rule "r": dataschema "not-a-uri" must be an absolute URI`,
			}},
		{"drop rule with event fields", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: d\n    when: true\n    drop: true\n    entity_type: x",
			[]string{`f.yaml:8:18: rule "d": entity_type has no effect in a drop rule; remove it`}},
		{"duplicate rule names", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: a\n    when: true" + validRule + "\n  - name: a\n    when: true" + validRule,
			[]string{`f.yaml:11:5: rule "a": rule name is already used by the rule at line 5`}},
		{"let errors point at the let and at the use", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nlet:\n  id: payload.id\n  bad: nosuch(1)\n  item: 1\n  n: len(id)\nrules:\n  - name: r\n    when: n > 0 && upper(n) == \"X\"" + validRule,
			[]string{
				`f.yaml:6:8: let.bad: unknown name nosuch`,
				`f.yaml:7:3: let: "item" would hide the expression environment's item`,
				`f.yaml:11:26: rule "r": when: cannot use int as argument (type string) to call upper `,
			}},
		{"schema files must load, locally", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - name: a\n    when: true\n    schema: testdata/nope.json" + validRule + "\n  - name: b\n    when: true\n    schema: testdata/schemas/remote-ref.json" + validRule,
			[]string{
				`f.yaml:7:13: rule "a": schema file testdata/nope.json does not exist`,
				`f.yaml:14:13: rule "b": schema testdata/schemas/remote-ref.json: failing loading "https://schemas.example.com/never/fetched.json": https://schemas.example.com/never/fetched.json is not fetched: schemas are read from local files only (put it under the schemas directory as <host>/<path>)`,
			}},
		{"empty rules are reported at the key", "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules: []",
			[]string{`f.yaml:4:8: rules must be a non-empty list`}},
		{"yaml syntax", "provider: shop\nrules: [\n", []string{`f.yaml:2: yaml: did not find expected node content`}},
		{"empty file", "", []string{`f.yaml: empty mapping file`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := Parse("f.yaml", []byte(tc.yaml), Options{LookupEnv: func(string) (string, bool) { return "", false }})
			var got []string
			for _, p := range problems {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLoadRejectsTwoFilesForOneProvider(t *testing.T) {
	dir := t.TempDir()
	body := "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nrules:\n  - when: true" + validRule + "\n"
	for _, f := range []string{"a.yaml", "b.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), `b.yml:1:11: provider "shop" is already mapped by `) {
		t.Fatalf("err = %v", err)
	}
	if len(DiagnosticsOf(err)) != 1 {
		t.Fatalf("problems = %v", DiagnosticsOf(err))
	}
}

func TestLoadEmptyDirectory(t *testing.T) {
	if _, err := Load(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "no mapping files") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to the mapping loader: it must return a
// mapping or problems, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(readFileF(f, "testdata/shop.yaml")))
	f.Add([]byte("provider: x\nrules: [{when: true}]"))
	f.Add([]byte("{a: [b, {c: d}]}"))
	f.Add([]byte("provider: &a x\nmodule: *a\n"))
	f.Add([]byte("rules:\n  - data: {a: {b: [c, {d: e}]}}\n"))
	f.Add([]byte("provider: x\nidempotency_key: payload.id\nbackfill: {url: 'https://x.example/l?a=1', auth: {basic: [u, '${P}']}, query: {q: 'string(since.Unix())'}, items: page.data, next: 'page.more ? {\"after\": page.data[0].id} : nil'}\nrules: [{when: true}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, problems := Parse("fuzz.yaml", data, Options{LookupEnv: func(string) (string, bool) { return "s", true }})
		if m == nil && len(problems) == 0 {
			t.Fatal("no mapping and no problem")
		}
		for _, p := range problems {
			if p.Msg == "" {
				t.Fatal("problem without a message")
			}
		}
	})
}

func readFileF(f *testing.F, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

func TestPlaceholderSecretsSuitEveryScheme(t *testing.T) {
	for _, scheme := range []string{"stripe", "github", "standard-webhooks", "basic", "token"} {
		t.Run(scheme, func(t *testing.T) {
			src := "provider: shop\nmodule: m\nwebhook:\n  signature: {scheme: " + scheme + ", secret: '${NEVER_SET}'}\nrules:\n  - when: true" + validRule
			opts := Options{PlaceholderSecrets: true, LookupEnv: func(name string) (string, bool) {
				t.Fatalf("the environment was read for %s", name)
				return "", false
			}}
			if _, problems := Parse("f.yaml", []byte(src), opts); len(problems) > 0 {
				t.Fatal((&LoadError{problems}).Error())
			}
		})
	}
}
