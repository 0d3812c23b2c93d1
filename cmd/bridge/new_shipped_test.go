package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// shippedSecrets are the signing secrets of the shipped mappings other than
// Stripe's and GitHub's, as VAR=value: a shipped mapping does not load
// without its secret, so every test that runs the bridge on ../../mappings
// sets them.
var shippedSecrets = []string{
	"MERCADOPAGO_WEBHOOK_SECRET=mp-test-secret-of-the-app",
	"SLACK_WEBHOOK_SECRET=slack-test-signing-secret",
	"SHOPIFY_WEBHOOK_SECRET=shpss_test_client_secret",
}

// setShippedSecrets sets shippedSecrets in the environment for t.
func setShippedSecrets(t *testing.T) {
	t.Helper()
	for _, kv := range shippedSecrets {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// shippedWebhookFile is what TestNewOnTheShippedExamples reads of a shipped
// mapping file: its provider, its scheme and its fixtures' payloads.
type shippedWebhookFile struct {
	Provider string `yaml:"provider"`
	Webhook  struct {
		Signature struct {
			Scheme string `yaml:"scheme"`
		} `yaml:"signature"`
	} `yaml:"webhook"`
	Rules []struct {
		Tests []struct {
			Payload string `yaml:"payload"`
		} `yaml:"tests"`
	} `yaml:"rules"`
}

// TestNewOnTheShippedExamples: for every shipped mapping file that takes
// webhooks, bridge new with its scheme on the payloads its own fixtures use
// writes a file on which bridge check (with the variable bridge new names
// set) and bridge test pass, one fixture per payload. Issue 18's "done when";
// a shipped provider added later is covered without editing this test.
func TestNewOnTheShippedExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "mappings", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var covered []string
	setVar := regexp.MustCompile(`set ([A-Z][A-Z0-9_]*) to`)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m shippedWebhookFile
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if m.Webhook.Signature.Scheme == "" {
			continue // not a webhook provider (guardia takes events-protocol calls)
		}
		covered = append(covered, m.Provider)
		t.Run(m.Provider, func(t *testing.T) {
			var payloads []string
			for _, r := range m.Rules {
				for _, f := range r.Tests {
					p := filepath.Join(filepath.Dir(file), filepath.FromSlash(f.Payload))
					if !slices.Contains(payloads, p) {
						payloads = append(payloads, p)
					}
				}
			}
			if len(payloads) == 0 {
				t.Fatalf("%s has no fixtures", file)
			}
			dir := t.TempDir()
			args := []string{"new", m.Provider, "--signature", m.Webhook.Signature.Scheme, "--mappings", dir}
			for _, p := range payloads {
				args = append(args, "--from", p)
			}
			var out, errOut bytes.Buffer
			if code := run(args, nil, &out, &errOut); code != 0 {
				t.Fatalf("bridge %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
			}
			if m.Webhook.Signature.Scheme != "none" {
				v := setVar.FindStringSubmatch(out.String())
				if v == nil {
					t.Fatalf("bridge new names no variable to set:\n%s", out.String())
				}
				t.Setenv(v[1], "scaffold-test-secret-of-"+m.Provider)
			}
			out.Reset()
			errOut.Reset()
			// No warning but scheme none's (pix): in particular no two
			// fixtures of one key (bridge new once keyed on payload.id
			// alone, so payment.updated was a duplicate of payment.created).
			code := run([]string{"check", "--mappings", dir}, nil, &out, &errOut)
			warnings := strings.Count(out.String(), ": warning: ")
			if m.Webhook.Signature.Scheme == "none" {
				warnings -= strings.Count(out.String(), "[none-unverified]")
			}
			if code != 0 || !strings.Contains(out.String(), "ok: 1 mapping file(s)") || warnings != 0 {
				t.Errorf("bridge check: exit %d\n%s%s", code, out.String(), errOut.String())
			}
			out.Reset()
			errOut.Reset()
			code = run([]string{"test", "--mappings", dir}, nil, &out, &errOut)
			want := "\n" + strconv.Itoa(len(payloads)) + " passed, 0 failed\n"
			if code != 0 || !strings.HasSuffix(out.String(), want) || strings.Contains(out.String(), "wrote") {
				t.Errorf("bridge test: exit %d, want %q\n%s%s", code, want, out.String(), errOut.String())
			}
		})
	}
	for _, p := range []string{"stripe", "github", "mercadopago", "slack", "shopify"} {
		if !slices.Contains(covered, p) {
			t.Errorf("no shipped webhook mapping for %s (covered: %v)", p, covered)
		}
	}
}
