package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The webhook block's signature is read by signature.ParseBlock: its
// verifier reaches the mapping, its secrets come from the environment (or
// placeholders), and its diagnostics come back with the file, in position
// order among the file's other diagnostics.
func TestWebhookBlockThroughParse(t *testing.T) {
	const block = "webhook:\n  content_types: [text/plain]\n  signature: {scheme: hmac, secret: '${HOOK_SECRET}', header: X-Sig}\n"
	src := func(b string) []byte {
		return []byte("provider: shop\nmodule: m\n" + b + "rules:\n  - when: true" + validRule)
	}
	env := func(k string) (string, bool) {
		return map[string]string{"HOOK_SECRET": "s3cret"}[k], k == "HOOK_SECRET"
	}

	_, ds := Parse("f.yaml", src(block), Options{LookupEnv: env})
	want := []string{`f.yaml:4:19: webhook.content_types: "text/plain" is not supported (want application/json or application/x-www-form-urlencoded)`}
	if got := (&LoadError{Diagnostics: ds}).Error(); got != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	good := strings.Replace(block, "  content_types: [text/plain]\n", "", 1)
	m, ds := Parse("f.yaml", src(good), Options{LookupEnv: env})
	if len(ds) > 0 {
		t.Fatal((&LoadError{Diagnostics: ds}).Error())
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("{}"))
	if err := m.Verifier.Verify(http.Header{"X-Sig": {hex.EncodeToString(mac.Sum(nil))}}, []byte("{}"), time.Now()); err != nil {
		t.Errorf("the loaded verifier refuses a delivery signed with the environment's secret: %v", err)
	}

	if m, ds := Parse("f.yaml", src(good), Options{PlaceholderSecrets: true}); len(ds) > 0 || m.Verifier == nil {
		t.Errorf("with placeholders and no environment: verifier %v, %v", m, (&LoadError{Diagnostics: ds}).Error())
	}

	bad := "webhook:\n  signature: {scheme: hmac, secret: '${UNSET}', header: 'X Sig'}\nredact: x\n"
	_, ds = Parse("f.yaml", src(bad), Options{LookupEnv: env})
	want = []string{
		`f.yaml:4:37: webhook.signature.secret: environment variable UNSET is not set (a mapping with a missing secret does not load)`,
		`f.yaml:4:57: webhook.signature: header "X Sig" is not a header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`,
		`f.yaml:5:9: redact must be a list, got "x"`,
	}
	if got := (&LoadError{Diagnostics: ds}).Error(); got != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
