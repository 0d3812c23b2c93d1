package natsconn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestSecurityNeverPrintsSecrets(t *testing.T) {
	s := Security{User: "bridge", Password: "pw-secret", CAFile: "/etc/ca.pem"}
	tok := Security{Token: "tok-secret"}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s %v\n", s, s, s, s, &tok)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "nats", s, "tok", tok)
	slog.New(slog.NewTextHandler(&out, nil)).Info("x", "nats", s, "tok", tok)
	js, _ := json.Marshal(struct{ A, B Security }{s, tok})
	out.Write(js)
	for _, secret := range []string{"pw-secret", "tok-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("a secret is printed:\n%s", out.String())
		}
	}
	if want := "{user=bridge password=[redacted] ca=/etc/ca.pem}"; s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
}

func TestSecurityOptions(t *testing.T) {
	dir := t.TempDir()
	ca := writeCA(t, dir)
	tests := []struct {
		name string
		s    Security
		n    int    // options, when valid
		want string // error text, when not
	}{
		{"none", Security{}, 0, ""},
		{"user", Security{User: "bridge", Password: "pw"}, 1, ""},
		{"token", Security{Token: "tok"}, 1, ""},
		{"ca", Security{CAFile: ca}, 2, ""}, // Secure and RootCAs
		{"token and ca", Security{Token: "tok", CAFile: ca}, 3, ""},
		{"two methods", Security{User: "bridge", Password: "pw", Token: "tok"}, 0,
			"natsconn: one NATS authentication method at a time, got user, token"},
		{"user without password", Security{User: "bridge"}, 0, `natsconn: NATS user "bridge" has no password`},
		{"cert without key", Security{CertFile: ca}, 0, "natsconn: a NATS client certificate needs both its certificate and key files"},
		{"missing ca", Security{CAFile: filepath.Join(dir, "nope.pem")}, 0, "natsconn: NATS TLS: nats: error loading or parsing rootCA file"},
		{"missing nkey", Security{NkeyFile: filepath.Join(dir, "nope.nk")}, 0, "natsconn: NATS nkey seed " + filepath.Join(dir, "nope.nk")},
		{"missing creds", Security{CredsFile: filepath.Join(dir, "nope.creds")}, 0, "natsconn: NATS credentials " + filepath.Join(dir, "nope.creds")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := tc.s.Options()
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Options() = %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil || len(opts) != tc.n {
				t.Fatalf("Options() = %d options, %v; want %d", len(opts), err, tc.n)
			}
		})
	}
}

// TestSecurityTLSRequired connects with a CA to a server that offers no
// TLS: the connection is refused rather than made in plain text.
func TestSecurityTLSRequired(t *testing.T) {
	srv := natstest.Start(t)
	opts, err := Security{CAFile: writeCA(t, t.TempDir())}.Options()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Connect([]string{srv.URL()}, "bridge-test", nil, append(opts, nats.ReconnectWait(natstest.ReconnectWait))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	natstest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if !errors.Is(nc.LastError(), nats.ErrSecureConnWanted) {
			return fmt.Errorf("last error %v, want %v", nc.LastError(), nats.ErrSecureConnWanted)
		}
		return nil
	})
	if nc.IsConnected() {
		t.Fatal("connected in plain text")
	}
}

// writeCA writes a self-signed CA certificate to dir/ca.pem.
func writeCA(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
