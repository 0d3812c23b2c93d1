package daemon

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/nats-io/nats-server/v2/server"
)

// TestWarnShortSigningSecret: a mapping whose signing secret is shorter
// than 16 bytes is loaded with a warning naming the file, the setting and
// the variable, never the secret; a long one gets none.
func TestWarnShortSigningSecret(t *testing.T) {
	if len(githubSecret) >= minSecretLen || len(stripeSecret) < minSecretLen {
		t.Fatalf("the test secrets changed: github %d bytes, stripe %d", len(githubSecret), len(stripeSecret))
	}
	logs := &logBuffer{}
	b := launchBridge(t, setup{logs: logs})
	warned := map[string]bool{}
	for _, r := range logs.records(t, "signing secret shorter than 16 bytes; use a long random secret") {
		warned[filepath.Base(fmt.Sprint(r["file"]))+" "+fmt.Sprint(r["setting"])+" "+fmt.Sprint(r["env"])] = true
	}
	if want := "github.yaml webhook.signature.secret GITHUB_WEBHOOK_SECRET"; !warned[want] || len(warned) != 1 {
		t.Errorf("warnings %v, want only %q", warned, want)
	}
	// Again at a reload.
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := len(logs.records(t, "signing secret shorter than 16 bytes; use a long random secret")); n != 2 {
		t.Errorf("%d warnings after a reload, want 2", n)
	}
	assertNoSecret(t, logs, githubSecret, stripeSecret)
}

// TestWarnNATSCredentialsWithoutTLS: credentials sent to a NATS server
// over plain TCP are warned about, naming the settings, never the values;
// over TLS, or without credentials, nothing is said.
func TestWarnNATSCredentialsWithoutTLS(t *testing.T) {
	const password = "pw-plain-never-logged"
	const msg = "NATS credentials sent without TLS; use tls:// URLs and --nats-tls-ca"
	dir := t.TempDir()
	ca := newCA(t, "nats CA")
	srvCert, srvKey, _ := ca.issue(t, "nats", false)
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, ca.pem)
	tests := []struct {
		name string
		opts server.Options
		env  map[string]string
		args func(url string) []string
		want string // the settings named; "" for no warning
	}{
		{"password over TCP", server.Options{Username: "bridge", Password: password}, map[string]string{"BRIDGE_NATS_PASSWORD": password},
			func(url string) []string { return []string{"--nats-url", url, "--nats-user", "bridge"} }, "--nats-user and BRIDGE_NATS_PASSWORD"},
		{"token over TCP", server.Options{Authorization: password}, map[string]string{"BRIDGE_NATS_TOKEN": password},
			func(url string) []string { return []string{"--nats-url", url} }, "BRIDGE_NATS_TOKEN"},
		{"password over TLS", server.Options{Username: "bridge", Password: password, TLS: true,
			TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{keyPair(t, srvCert, srvKey)}}},
			map[string]string{"BRIDGE_NATS_PASSWORD": password},
			func(url string) []string {
				return []string{"--nats-url", strings.Replace(url, "nats://", "tls://", 1), "--nats-user", "bridge", "--nats-tls-ca", caFile}
			}, ""},
		{"no credentials", server.Options{}, nil, func(url string) []string { return []string{"--nats-url", url} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := startNATS(t, &tc.opts)
			logs := &logBuffer{}
			if _, err := startDaemon(t, loadConfig(t, tc.env, tc.args(url)...), logs, 20*time.Second); err != nil {
				t.Fatal(err)
			}
			recs := logs.records(t, msg)
			switch {
			case tc.want == "" && len(recs) != 0:
				t.Errorf("warned: %v", recs)
			case tc.want != "" && (len(recs) != 1 || fmt.Sprint(recs[0]["settings"]) != "["+tc.want+"]"):
				t.Errorf("warnings %v, want one naming %s", recs, tc.want)
			}
			assertNoSecret(t, logs, password)
		})
	}
}

// TestWarnOpenAdmin: an admin listener beyond loopback without
// BRIDGE_ADMIN_TOKEN is warned about at start; on loopback, or with a
// token, nothing is said.
func TestWarnOpenAdmin(t *testing.T) {
	const msg = "admin listener reachable beyond loopback without a token; set BRIDGE_ADMIN_TOKEN (or listen on 127.0.0.1)"
	for _, tc := range []struct {
		name, admin, token string
		warned             bool
	}{
		{"all interfaces, no token", "0.0.0.0:0", "", true},
		{"all interfaces, a token", "0.0.0.0:0", "admin-token-0123456789", false},
		{"loopback", "127.0.0.1:0", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			launchBridge(t, setup{logs: logs, edit: func(c *config.Config) {
				c.Admin, c.AdminToken = tc.admin, config.Secret(tc.token)
			}})
			if got := len(logs.records(t, msg)) == 1; got != tc.warned {
				t.Errorf("warned %v, want %v", got, tc.warned)
			}
		})
	}
}

// TestWarnMappingWarnings: bridge run logs each warning of the mapping set
// at start (and again at each reload) with its file, position and slug,
// never a secret's value, its fixtures' idempotency-key collisions
// included; with a listener that requires client certificates, scheme
// none's none-unverified is left out.
func TestWarnMappingWarnings(t *testing.T) {
	const secret = "shop-secret-never-logged-0123456789"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "created.json"), []byte(`{"id": "n1", "type": "created"}`))
	writeFile(t, filepath.Join(dir, "updated.json"), []byte(`{"id": "n1", "type": "updated"}`))
	rule := func(event string) string {
		return "  - when: payload.type == \"" + event + "\"\n    name: " + event + "\n    entity_type: thing\n    event_name: " + event +
			"\n    entity_id: payload.id\n    source: '\"https://shop.example\"'\n    tests: [{payload: " + event + ".json, expect: " + event + ".event.json}]\n"
	}
	writeFile(t, filepath.Join(dir, "shop.yaml"), []byte("provider: shop\nmodule: m\nwebhook:\n  signature:\n    scheme: none\n    secret: ${SHOP_SECRET}\n"+
		"idempotency_key: payload.id\nrules:\n"+rule("created")+rule("updated")))
	for _, tc := range []struct {
		name string
		mtls bool
		want []string // slug at line:column
	}{
		{"plain listener", false, []string{"none-unverified at 5:13", "none-with-secret at 6:5", "idempotency-key-collision at 22:0"}},
		{"mutual TLS listener", true, []string{"none-with-secret at 6:5", "idempotency-key-collision at 22:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			t.Setenv("SHOP_SECRET", secret)
			cfg.Mappings = dir
			if tc.mtls {
				// Read at Start only: New takes the paths as they are.
				cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA = "cert.pem", "key.pem", "clients.pem"
			}
			logs := &logBuffer{}
			d, err := New(cfg, logs.logger())
			if err != nil {
				t.Fatal(err)
			}
			got := func() []string {
				var out []string
				for _, r := range logs.records(t, "mapping warning") {
					if r["file"] != filepath.Join(dir, "shop.yaml") || r["warning"] == "" {
						t.Errorf("record %v", r)
					}
					out = append(out, fmt.Sprintf("%v at %v:%v", r["slug"], r["line"], r["column"]))
				}
				return out
			}
			if g := got(); strings.Join(g, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("at start: %q, want %q", g, tc.want)
			}
			if err := d.reload("test", nil); err != nil {
				t.Fatal(err)
			}
			if g := got(); len(g) != 2*len(tc.want) {
				t.Errorf("after a reload: %q, want each of %q twice", g, tc.want)
			}
			assertNoSecret(t, logs, secret)
		})
	}
}
