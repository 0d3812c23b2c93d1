package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValidateSecurity(t *testing.T) {
	cluster := func(c *Config) { c.NATSURLs = []string{"tls://n1:4222"} }
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // Validate's lines; none for a valid config
	}{
		{"tls pair", func(c *Config) { c.TLSCert, c.TLSKey = "cert.pem", "key.pem" }, nil},
		{"tls pair with client ca", func(c *Config) { c.TLSCert, c.TLSKey, c.TLSClientCA = "cert.pem", "key.pem", "ca.pem" }, nil},
		{"tls cert alone", func(c *Config) { c.TLSCert = "cert.pem" },
			[]string{"--tls-cert: needs --tls-key too (the certificate's private key)"}},
		{"tls key alone", func(c *Config) { c.TLSKey = "key.pem" },
			[]string{"--tls-key: needs --tls-cert too (the key's certificate)"}},
		{"client ca without tls", func(c *Config) { c.TLSClientCA = "ca.pem" },
			[]string{"--tls-client-ca: needs --tls-cert and --tls-key: client certificates are asked for in the TLS handshake"}},

		{"creds", func(c *Config) { cluster(c); c.NATSCreds = "bridge.creds" }, nil},
		{"nkey", func(c *Config) { cluster(c); c.NATSNkey = "bridge.nk" }, nil},
		{"user and password", func(c *Config) { cluster(c); c.NATSUser, c.NATSPassword = "bridge", "pw" }, nil},
		{"token", func(c *Config) { cluster(c); c.NATSToken = "tok" }, nil},
		{"tls files and creds", func(c *Config) {
			cluster(c)
			c.NATSCreds, c.NATSTLSCA, c.NATSTLSCert, c.NATSTLSKey = "bridge.creds", "ca.pem", "c.pem", "k.pem"
		}, nil},
		{"two methods", func(c *Config) { cluster(c); c.NATSCreds, c.NATSNkey = "bridge.creds", "bridge.nk" },
			[]string{"--nats-creds: one NATS authentication method at a time, got --nats-creds and --nats-nkey"}},
		{"every method", func(c *Config) {
			cluster(c)
			c.NATSCreds, c.NATSNkey, c.NATSUser, c.NATSPassword, c.NATSToken = "bridge.creds", "bridge.nk", "bridge", "pw", "tok"
		}, []string{"--nats-creds: one NATS authentication method at a time, got --nats-creds, --nats-nkey, --nats-user and BRIDGE_NATS_TOKEN"}},
		{"user and token", func(c *Config) { cluster(c); c.NATSUser, c.NATSPassword, c.NATSToken = "bridge", "pw", "tok" },
			[]string{"--nats-user: one NATS authentication method at a time, got --nats-user and BRIDGE_NATS_TOKEN"}},
		{"user without password", func(c *Config) { cluster(c); c.NATSUser = "bridge" },
			[]string{"--nats-user: needs the password in the environment variable BRIDGE_NATS_PASSWORD"}},
		{"password without user", func(c *Config) { cluster(c); c.NATSPassword = "pw" },
			[]string{"--nats-user: must be set when BRIDGE_NATS_PASSWORD is (the password is for that user)"}},
		{"nats client cert alone", func(c *Config) { cluster(c); c.NATSTLSCert = "c.pem" },
			[]string{"--nats-tls-cert: needs --nats-tls-key too (the certificate's private key)"}},
		{"nats client key alone", func(c *Config) { cluster(c); c.NATSTLSKey = "k.pem" },
			[]string{"--nats-tls-key: needs --nats-tls-cert too (the key's certificate)"}},
		{"credentials for the embedded server", func(c *Config) {
			c.NATSCreds, c.NATSTLSCA, c.NATSToken, c.NATSPassword = "bridge.creds", "ca.pem", "tok", "pw"
		}, []string{
			"--nats-creds: needs --nats-url: the embedded server takes no credentials",
			"--nats-tls-ca: needs --nats-url: the embedded server takes no credentials",
			"--nats-url: BRIDGE_NATS_PASSWORD is set, but without --nats-url the bridge starts its embedded server, which takes no credentials",
			"--nats-url: BRIDGE_NATS_TOKEN is set, but without --nats-url the bridge starts its embedded server, which takes no credentials",
		}},

		{"rate limit", func(c *Config) { c.RateLimit, c.RateBurst = 0.5, 1 }, nil},
		{"negative rate limit", func(c *Config) { c.RateLimit = -1 },
			[]string{"--rate-limit: must be 0 (no limit) or a rate per second greater than 0, got -1"}},
		{"infinite rate limit", func(c *Config) { c.RateLimit = math.Inf(1) },
			[]string{"--rate-limit: must be 0 (no limit) or a rate per second greater than 0, got +Inf"}},
		{"zero burst", func(c *Config) { c.RateBurst = 0 }, []string{"--rate-burst: must be at least 1, got 0"}},

		{"every problem at once, sorted", func(c *Config) {
			c.TLSKey, c.TLSClientCA, c.RateBurst = "key.pem", "ca.pem", 0
			cluster(c)
			c.NATSNkey, c.NATSToken, c.NATSTLSKey = "bridge.nk", "tok", "k.pem"
		}, []string{
			"--nats-nkey: one NATS authentication method at a time, got --nats-nkey and BRIDGE_NATS_TOKEN",
			"--nats-tls-key: needs --nats-tls-cert too (the key's certificate)",
			"--rate-burst: must be at least 1, got 0",
			"--tls-client-ca: needs --tls-cert and --tls-key: client certificates are asked for in the TLS handshake",
			"--tls-key: needs --tls-cert too (the key's certificate)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			before := c
			want := strings.Join(tc.want, "\n")
			if got := errText(c.Validate()); got != want {
				t.Errorf("Validate() =\n%s\nwant\n%s", got, want)
			}
			if !reflect.DeepEqual(c, before) {
				t.Error("Validate changed the config")
			}
		})
	}
}

// TestLoadSecuritySettings reads every new setting from each source, and
// the secrets from the environment only.
func TestLoadSecuritySettings(t *testing.T) {
	file := writeConfig(t, `
nats:
  url: tls://n1:4222
  user: bridge
  tls_ca: /etc/bridge/nats-ca.pem
  tls_cert: /etc/bridge/nats.pem
  tls_key: /etc/bridge/nats-key.pem
tls:
  cert: /etc/bridge/tls.pem
  key: /etc/bridge/tls-key.pem
webhook.rate_limit: 2.5
`)
	env := map[string]string{
		"BRIDGE_TLS_CLIENT_CA": "/etc/bridge/clients.pem",
		"BRIDGE_RATE_BURST":    "7",
		"BRIDGE_NATS_PASSWORD": "s3cret",
		"BRIDGE_EVENTS_SECRET": "ev-secret",
	}
	got, _, err := load(t, []string{"--config", file, "--tls-key", "/run/tls-key.pem"}, env)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Default()
	want.File = file
	want.NATSURLs = []string{"tls://n1:4222"}
	want.NATSUser, want.NATSPassword = "bridge", "s3cret"
	want.NATSTLSCA, want.NATSTLSCert, want.NATSTLSKey = "/etc/bridge/nats-ca.pem", "/etc/bridge/nats.pem", "/etc/bridge/nats-key.pem"
	want.TLSCert, want.TLSKey, want.TLSClientCA = "/etc/bridge/tls.pem", "/run/tls-key.pem", "/etc/bridge/clients.pem"
	want.RateLimit, want.RateBurst = 2.5, 7
	want.EventsSecret = "ev-secret"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
	}

	token, _, err := load(t, []string{"--nats-url", "nats://n1:4222"}, map[string]string{"BRIDGE_NATS_TOKEN": "tok"})
	if err != nil || token.NATSToken != "tok" {
		t.Errorf("Load with BRIDGE_NATS_TOKEN = %q, %v; want the token", string(token.NATSToken), err)
	}
}

func TestLoadSecretsOnlyFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name string
		args []string
		file string
		want string
	}{
		{"password flag", []string{"--nats-password", "x"}, "", "flag provided but not defined: -nats-password"},
		{"token flag", []string{"--nats-token", "x"}, "", "flag provided but not defined: -nats-token"},
		{"password key", nil, "nats.password: x\n", `unknown key "nats.password"`},
		{"token key", nil, "nats:\n  token: x\n", `unknown key "nats.token"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeConfig(t, tc.file)}, args...)
			}
			_, _, err := load(t, args, nil)
			if !strings.Contains(errText(err), tc.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadRateErrors(t *testing.T) {
	_, _, err := load(t, []string{"--rate-limit", "fast", "--rate-burst", "-1"}, map[string]string{"BRIDGE_RATE_LIMIT": "NaN"})
	want := strings.Join([]string{
		`env BRIDGE_RATE_LIMIT: invalid rate "NaN" (want a number per second such as 10 or 0.5)`,
		`flag --rate-limit: invalid rate "fast" (want a number per second such as 10 or 0.5)`,
		"--rate-burst: must be at least 1, got -1",
	}, "\n")
	if errText(err) != want {
		t.Errorf("Load error =\n%s\nwant\n%s", errText(err), want)
	}
}

// TestSecretNeverPrinted formats a config holding secrets every way the
// code might: fmt verbs, slog handlers and JSON.
func TestSecretNeverPrinted(t *testing.T) {
	c := Default()
	c.NATSURLs = []string{"nats://n1:4222"}
	c.NATSUser, c.NATSPassword, c.EventsSecret = "bridge", "pw-never-shown", "ev-never-shown"
	c.NATSToken = "tok-never-shown"
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s\n", c, c, c, c.NATSToken)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("cfg", "cfg", c, "password", c.NATSPassword)
	slog.New(slog.NewTextHandler(&out, nil)).Info("cfg", "cfg", c, "token", c.NATSToken)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	for _, secret := range []string{"pw-never-shown", "ev-never-shown", "tok-never-shown"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("a secret is printed:\n%s", out.String())
		}
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Errorf("no [redacted] in:\n%s", out.String())
	}
}
