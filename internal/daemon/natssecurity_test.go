package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/bridge-dev/bridge/internal/config"
)

// loadConfig reads the daemon's settings the way `bridge run` does, from
// args and an environment of env alone, with startBridge's test defaults
// (random ports, the shipped mappings) in front of args.
func loadConfig(t *testing.T, env map[string]string, args ...string) config.Config {
	t.Helper()
	t.Setenv("STRIPE_WEBHOOK_SECRET", stripeSecret)
	t.Setenv("GITHUB_WEBHOOK_SECRET", githubSecret)
	setShippedSecrets(t)
	fs := flag.NewFlagSet("bridge run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := append([]string{"--http", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--mappings", "../../mappings",
		"--schemas", "../../schemas", "--data", t.TempDir(), "--request-timeout", "2s", "--events-auth", "none"}, args...)
	cfg, err := config.Load(fs, all, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// deliver posts the example Stripe charge to d and wants it stored.
func deliver(t *testing.T, d *Daemon) {
	t.Helper()
	body := readExample(t, "stripe/charge.succeeded.json")
	r := post(t, "http://"+d.HTTPAddr()+"/webhooks/stripe", body, map[string]string{"Stripe-Signature": stripeSign(body, time.Now())})
	if r.status != http.StatusAccepted && r.status != http.StatusOK {
		t.Fatalf("delivery: status %d: %s", r.status, r.raw)
	}
}

func TestNATSAuthentication(t *testing.T) {
	const password, token = "pw-not-in-the-logs", "tok-not-in-the-logs"
	seedFile, nkeyPub := nkeyFile(t)
	tests := []struct {
		name   string
		server server.Options
		env    map[string]string
		args   []string
	}{
		{"user and password", server.Options{Username: "bridge", Password: password},
			map[string]string{"BRIDGE_NATS_PASSWORD": password}, []string{"--nats-user", "bridge"}},
		{"token", server.Options{Authorization: token},
			map[string]string{"BRIDGE_NATS_TOKEN": token}, nil},
		{"nkey", server.Options{Nkeys: []*server.NkeyUser{{Nkey: nkeyPub}}},
			nil, []string{"--nats-nkey", seedFile}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := startNATS(t, &tc.server)
			logs := &logBuffer{}
			cfg := loadConfig(t, tc.env, append([]string{"--nats-url", url}, tc.args...)...)
			d, err := startDaemon(t, cfg, logs, 20*time.Second)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			deliver(t, d)
			assertNoSecret(t, logs, password, token)
		})
	}
}

// TestNATSOverTLS connects the daemon to a nats-server that requires TLS
// and verifies client certificates, with --nats-tls-ca, --nats-tls-cert
// and --nats-tls-key.
func TestNATSOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "nats CA")
	srvCert, srvKey, _ := ca.issue(t, "nats", false)
	url := startNATS(t, &server.Options{
		TLS:       true,
		TLSVerify: true,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{keyPair(t, srvCert, srvKey)},
			ClientCAs:    ca.pool(),
			ClientAuth:   tls.RequireAndVerifyClientCert,
		},
	})
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, ca.pem)
	certFile, keyFile, _ := ca.issueFiles(t, dir, "bridge", true)
	cfg := loadConfig(t, nil, "--nats-url", strings.Replace(url, "nats://", "tls://", 1),
		"--nats-tls-ca", caFile, "--nats-tls-cert", certFile, "--nats-tls-key", keyFile)
	d, err := startDaemon(t, cfg, nil, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, d)
}

func TestNATSCredentialsFile(t *testing.T) {
	url, creds := operatorServer(t)
	cfg := loadConfig(t, nil, "--nats-url", url, "--nats-creds", creds)
	d, err := startDaemon(t, cfg, nil, 20*time.Second)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	deliver(t, d)
}

// TestNATSAuthenticationRefused starts the daemon without, or with wrong,
// credentials: Start fails, saying why, and never shows what was tried.
func TestNATSAuthenticationRefused(t *testing.T) {
	const password = "right-password"
	url := startNATS(t, &server.Options{Username: "bridge", Password: password})
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"no credentials", nil, nil},
		{"wrong password", map[string]string{"BRIDGE_NATS_PASSWORD": "wrong-password"}, []string{"--nats-user", "bridge"}},
		{"token instead", map[string]string{"BRIDGE_NATS_TOKEN": "wrong-token"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			cfg := loadConfig(t, tc.env, append([]string{"--nats-url", url}, tc.args...)...)
			_, err := startDaemon(t, cfg, logs, 30*time.Second)
			if err == nil {
				t.Fatal("Start succeeded without the right credentials")
			}
			if msg := err.Error(); !strings.Contains(msg, "nats connection closed") || !strings.Contains(strings.ToLower(msg), "authorization violation") {
				t.Errorf("Start error = %v, want the connection closed for an authorization violation", err)
			}
			// It gave up on the refusal, not by running out of time.
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Start ran out of time instead of giving up on the refusal: %v", err)
			}
			assertNoSecret(t, logs, "wrong-password", "wrong-token", password)
		})
	}
}

// TestNATSBadCredentialFiles fails Start on a credential file that cannot
// be used, naming it, before any connection is tried.
func TestNATSBadCredentialFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("SUNOTASEED"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing creds", []string{"--nats-creds", filepath.Join(dir, "missing.creds")}, "missing.creds"},
		{"garbage creds", []string{"--nats-creds", garbage}, "NATS credentials " + garbage},
		{"garbage nkey", []string{"--nats-nkey", garbage}, "NATS nkey seed " + garbage},
		{"missing CA", []string{"--nats-tls-ca", filepath.Join(dir, "ca.pem")}, "ca.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadConfig(t, nil, append([]string{"--nats-url", "nats://127.0.0.1:1"}, tc.args...)...)
			_, err := startDaemon(t, cfg, nil, 10*time.Second)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func assertNoSecret(t *testing.T, logs *logBuffer, secrets ...string) {
	t.Helper()
	logs.mu.Lock()
	out := logs.buf.String()
	logs.mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the logs show a secret (%s):\n%s", s, out)
		}
	}
}

// nkeyFile writes a new user nkey seed to a file and returns the file and
// the public key.
func nkeyFile(t *testing.T) (file, public string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	public, _ = kp.PublicKey()
	file = filepath.Join(t.TempDir(), "bridge.nk")
	if err := os.WriteFile(file, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, public
}

// operatorServer runs a nats-server in operator mode (decentralized JWT
// auth) with one JetStream-enabled account, and writes a user's
// credentials file for it, as nsc would.
func operatorServer(t *testing.T) (url, credsFile string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "test"
	ojwt, err := oc.Encode(okp)
	must(err)
	op, err := jwt.DecodeOperatorClaims(ojwt)
	must(err)

	encodeAccount := func(name string, js bool) (string, nkeys.KeyPair) {
		akp, err := nkeys.CreateAccount()
		must(err)
		apub, _ := akp.PublicKey()
		ac := jwt.NewAccountClaims(apub)
		ac.Name = name
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		ajwt, err := ac.Encode(okp)
		must(err)
		return ajwt, akp
	}
	sysJWT, sysKP := encodeAccount("SYS", false)
	accJWT, accKP := encodeAccount("BRIDGE", true)
	sysPub, _ := sysKP.PublicKey()
	accPub, _ := accKP.PublicKey()
	resolver := &server.MemAccResolver{}
	must(resolver.Store(sysPub, sysJWT))
	must(resolver.Store(accPub, accJWT))

	ukp, err := nkeys.CreateUser()
	must(err)
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = "bridge"
	ujwt, err := uc.Encode(accKP)
	must(err)
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	must(err)
	credsFile = filepath.Join(t.TempDir(), "bridge.creds")
	must(os.WriteFile(credsFile, creds, 0o600))

	url = startNATS(t, &server.Options{
		TrustedOperators: []*jwt.OperatorClaims{op},
		AccountResolver:  resolver,
		SystemAccount:    sysPub,
	})
	return url, credsFile
}
