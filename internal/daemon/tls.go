package daemon

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/bridge-dev/bridge/internal/config"
)

// publicTLS returns the public listener's TLS configuration, or nil when
// no certificate is configured (plain HTTP): TLS 1.2 or later, the
// certificate pair reloaded when its files change, and with a client CA,
// client certificates required and verified.
func publicTLS(cfg config.Config, log *slog.Logger) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	certs, err := newCertReloader(cfg.TLSCert, cfg.TLSKey, log)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: certs.GetCertificate,
	}
	if cfg.TLSClientCA != "" {
		pool, err := loadCAs(cfg.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// loadCAs reads a PEM file of one or more CA certificates.
func loadCAs(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate found", file)
	}
	return pool, nil
}

// certReloader serves a certificate and key file pair, and reads them
// again at the first handshake after either file changed (its
// modification time or size, or the file itself, as when a new file or a
// symlink is renamed over it). A pair that does not load, such as a new
// certificate whose key has not been written yet, keeps the previous one
// in service; the error is logged once per change.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu     sync.Mutex
	cert   *tls.Certificate
	certAt os.FileInfo // the files as last read, loaded or not
	keyAt  os.FileInfo
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	certAt, keyAt, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", certFile, keyFile, err)
	}
	r.cert, r.certAt, r.keyAt = &cert, certAt, keyAt
	return r, nil
}

func (r *certReloader) stat() (certAt, keyAt os.FileInfo, err error) {
	certAt, cerr := os.Stat(r.certFile)
	keyAt, kerr := os.Stat(r.keyFile)
	return certAt, keyAt, errors.Join(cerr, kerr)
}

// GetCertificate is tls.Config.GetCertificate: the current certificate,
// reloaded first when its files changed. Two stats per handshake are
// little beside the handshake itself.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reload()
	return r.cert, nil
}

// reload reads the pair again if either file changed since the last read.
func (r *certReloader) reload() {
	certAt, keyAt, err := r.stat()
	if err != nil {
		return // being replaced; the next handshake looks again
	}
	if same(certAt, r.certAt) && same(keyAt, r.keyAt) {
		return
	}
	r.certAt, r.keyAt = certAt, keyAt
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.log.Error("TLS certificate not reloaded; serving the previous one", "cert", r.certFile, "key", r.keyFile, "err", err)
		return
	}
	r.cert = &cert
	r.log.Info("TLS certificate reloaded", "cert", r.certFile, "key", r.keyFile)
}

// same reports whether a file is unchanged: the same file, modification
// time and size.
func same(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}
