package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func warningLines(ws []*Warning) string {
	lines := make([]string, len(ws))
	for i, w := range ws {
		lines[i] = w.String()
	}
	return strings.Join(lines, "\n")
}

// TestNoneWarnings: a file with scheme none loads, with a warning at a
// secret nothing reads and, when it serves webhooks, one at the scheme;
// the warnings come with a file that does not load too, and never as
// diagnostics.
func TestNoneWarnings(t *testing.T) {
	env := func(k string) (string, bool) { return "s3cret-value-long-enough", k == "HOOK_SECRET" }
	src := func(head string) []byte {
		return []byte("provider: shop\nmodule: m\n" + head + "rules:\n  - when: true" + validRule)
	}
	const unverified = "scheme none verifies nothing: anyone who can reach the webhook URL can store events as this provider; " +
		"use the provider's signature scheme, or require client certificates (mutual TLS) on the listener (--tls-client-ca) or on the proxy in front of it [none-unverified]"
	const unused = "webhook.signature.secret is not used: scheme none verifies nothing; " +
		"set the scheme that uses this secret (hmac, stripe, github...), or remove the secret [none-with-secret]"
	for _, tc := range []struct {
		name, head string
		loads      bool
		want       []string
	}{
		{"none", "webhook:\n  signature: {scheme: none}\n", true,
			[]string{"f.yaml:4:23: warning: " + unverified}},
		{"none with a secret", "webhook:\n  signature:\n    scheme: none\n    secret: '${HOOK_SECRET}'\n", true, []string{
			"f.yaml:5:13: warning: " + unverified,
			"f.yaml:6:5: warning: " + unused}},
		{"none with a secret, NATS only", "accepts: [nats]\nwebhook:\n  signature:\n    scheme: none\n    secret: '${HOOK_SECRET}'\n", true,
			[]string{"f.yaml:7:5: warning: " + unused}},
		{"none in a file that does not load", "webhook:\n  signature: {scheme: none, secret: '${HOOK_SECRET}'}\nredact: x\n", false, []string{
			"f.yaml:4:23: warning: " + unverified,
			"f.yaml:4:29: warning: " + unused}},
		{"hmac", "webhook:\n  signature: {scheme: hmac, secret: '${HOOK_SECRET}', header: X-Sig}\n", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ds, ws := ParseWithWarnings("f.yaml", src(tc.head), Options{LookupEnv: env})
			if loaded := len(ds) == 0; loaded != tc.loads {
				t.Fatalf("loads %v, want %v: %s", loaded, tc.loads, (&LoadError{Diagnostics: ds}).Error())
			}
			if got := warningLines(ws); got != strings.Join(tc.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", got, strings.Join(tc.want, "\n"))
			}
			if m != nil && warningLines(m.Warnings()) != warningLines(ws) {
				t.Errorf("the mapping keeps other warnings: %s", warningLines(m.Warnings()))
			}
		})
	}
}

// TestSetWarnings: Load keeps each file's warnings on the set, sorted by
// file, and LoadWithWarnings returns them for a set that does not load.
func TestSetWarnings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "provider: b\nmodule: m\nwebhook:\n  signature: {scheme: none}\nrules:\n  - when: true"+validRule)
	write("a.yaml", "provider: a\nmodule: m\nwebhook:\n  signature: {scheme: none}\nrules:\n  - when: true"+validRule)
	set, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := set.Warnings()
	if len(ws) != 2 || ws[0].File != filepath.Join(dir, "a.yaml") || ws[1].File != filepath.Join(dir, "b.yaml") ||
		ws[0].Slug != WarnNoneUnverified || ws[0].Line != 4 {
		t.Fatalf("set warnings:\n%s", warningLines(ws))
	}
	write("c.yaml", "provider: c\nmodule: m\nwebhook:\n  signature: {scheme: none}\nrules: []\n")
	set, ws, err = LoadWithWarnings(dir, Options{})
	if set != nil || len(DiagnosticsOf(err)) != 1 || len(ws) != 3 {
		t.Fatalf("a set that does not load: set %v, err %v, warnings:\n%s", set, err, warningLines(ws))
	}
}

// TestQueryUnsignedWarning: an expression that reads query under a scheme
// that does not sign it is warned at the expression; under a scheme that
// signs the URL, or an hmac expression that reads query, it is not (the
// attack of 2026-12-06: a replayed delivery with ?account=EVIL).
func TestQueryUnsignedWarning(t *testing.T) {
	file := func(sig string) string {
		return "provider: shop\nmodule: m\nwebhook: {signature: " + sig + "}\nidempotency_key: payload.id\nrules:\n" +
			"  - name: seen\n    when: 'true'\n    entity_type: order\n    event_name: seen\n    entity_id: payload.id\n" +
			"    source: '\"https://shop.example/\" + payload.id'\n    data:\n      account: query[\"account\"]\n"
	}
	lookup := func(string) (string, bool) { return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true }
	for _, tc := range []struct {
		sig  string
		warn bool
	}{
		{"{scheme: none}", true},
		{"{scheme: stripe, secret: '${S}'}", true},
		{"{scheme: square, secret: '${S}', url: 'https://b.example/webhooks/shop'}", false},
		{"{scheme: hmac, secret: '${S}', header: X-Sig, signed: 'query[\"account\"] + body'}", false},
		{"{scheme: hmac, secret: '${S}', header: X-Sig}", true},
	} {
		_, ds, ws := ParseWithWarnings("shop.yaml", []byte(file(tc.sig)), Options{LookupEnv: lookup})
		if len(ds) > 0 {
			t.Fatalf("%s: %v", tc.sig, ds)
		}
		var got *Warning
		for _, w := range ws {
			if w.Slug == WarnQueryUnsigned {
				got = w
			}
		}
		if (got != nil) != tc.warn {
			t.Errorf("%s: warning %v, want one: %v", tc.sig, got, tc.warn)
		}
		if got != nil && (got.Line != 13 || got.Rule != "seen" || !strings.Contains(got.Msg, "data.account reads query")) {
			t.Errorf("%s: %s", tc.sig, got)
		}
	}
}
