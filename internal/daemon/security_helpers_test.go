package daemon

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// secureConfig is startBridge's configuration (random ports, the shipped
// mappings, the test secrets), for the security tests that start the
// daemon themselves: their NATS servers want credentials that
// launchBridge's own connection does not have.
func secureConfig(t *testing.T) config.Config {
	t.Helper()
	t.Setenv("STRIPE_WEBHOOK_SECRET", stripeSecret)
	t.Setenv("GITHUB_WEBHOOK_SECRET", githubSecret)
	setShippedSecrets(t)
	cfg := config.Default()
	cfg.HTTP, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Mappings, cfg.Schemas = "../../mappings", "../../schemas"
	cfg.EmbeddedNATS.Listen, cfg.EmbeddedNATS.StoreDir = "127.0.0.1:-1", t.TempDir()
	cfg.RequestTimeout = 2 * time.Second
	cfg.EventsAuthSource = "flag --events-auth" // guardia.yaml accepts events: open on purpose
	return cfg
}

// startDaemon runs a daemon with cfg until the test ends, or returns
// Start's error. Start is bounded by within.
func startDaemon(t *testing.T, cfg config.Config, logs *logBuffer, within time.Duration) (*Daemon, error) {
	t.Helper()
	var log *slog.Logger
	if logs != nil {
		log = logs.logger()
	}
	d, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return d, nil
}

// startNATS runs a nats-server with JetStream and opts (its auth or TLS)
// on a random loopback port and returns its client URL.
func startNATS(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.JetStream, opts.StoreDir = true, t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	return runNATS(t, opts)
}

func runNATS(t *testing.T, opts *server.Options) string { return natstest.Run(t, opts) }

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a certificate for cn: a server certificate for 127.0.0.1
// and localhost, or a client certificate. It returns the PEM certificate,
// the PEM key and the certificate's serial number.
func (ca *testCA) issue(t *testing.T, cn string, client bool) (certPEM, keyPEM []byte, sn *big.Int) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	if client {
		tmpl.ExtKeyUsage, tmpl.IPAddresses, tmpl.DNSNames = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), tmpl.SerialNumber
}

// issueFiles is issue, written to cn.pem and cn-key.pem in dir.
func (ca *testCA) issueFiles(t *testing.T, dir, cn string, client bool) (certFile, keyFile string, sn *big.Int) {
	t.Helper()
	c, k, sn := ca.issue(t, cn, client)
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+"-key.pem")
	writeFile(t, certFile, c)
	writeFile(t, keyFile, k)
	return certFile, keyFile, sn
}

// pool is a cert pool of the CA, as a client trusting it holds.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// keyPair is a certificate and key for tls.Config.Certificates.
func keyPair(t *testing.T, certPEM, keyPEM []byte) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeFile writes data to a new file renamed over path, as certificate
// tools and Kubernetes secret volumes replace files.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
