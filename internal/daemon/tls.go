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
		cas, err := newCAReloader(cfg.TLSClientCA, tc, log)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		tc.ClientCAs = cas.conf.ClientCAs
		tc.ClientAuth = tls.RequireAndVerifyClientCert
		tc.GetConfigForClient = cas.GetConfigForClient
	}
	return tc, nil
}

// caReloader serves the client CAs of --tls-client-ca, read again when the
// file changes (checked at each handshake, as the certificate is): a CA is
// rotated by replacing the file, without a restart. A file that does not
// load keeps the previous CAs, and says so in the log.
type caReloader struct {
	file string
	base *tls.Config // the listener's configuration, without the client CAs
	log  *slog.Logger

	mu   sync.Mutex
	at   os.FileInfo // the file as last read, loaded or not
	conf *tls.Config // base with the CAs last loaded
}

func newCAReloader(file string, base *tls.Config, log *slog.Logger) (*caReloader, error) {
	at, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	pool, err := loadCAs(file)
	if err != nil {
		return nil, err
	}
	r := &caReloader{file: file, base: base.Clone(), log: log, at: at}
	r.conf = r.with(pool)
	return r, nil
}

// with is the listener's configuration verifying clients against pool.
func (r *caReloader) with(pool *x509.CertPool) *tls.Config {
	c := r.base.Clone()
	c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	// What http.Server.ServeTLS offers on its own configuration, which this
	// one replaces for the handshake.
	c.NextProtos = []string{"h2", "http/1.1"}
	return c
}

func (r *caReloader) GetConfigForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, err := os.Stat(r.file)
	if err != nil || same(at, r.at) {
		return r.conf, nil // unchanged, or being replaced: the next handshake looks again
	}
	r.at = at
	pool, err := loadCAs(r.file)
	if err != nil {
		r.log.Error("TLS client CAs not reloaded; verifying clients with the previous ones", "client_ca", r.file, "err", err)
		return r.conf, nil
	}
	r.conf = r.with(pool)
	r.log.Info("TLS client CAs reloaded", "client_ca", r.file)
	return r.conf, nil
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
