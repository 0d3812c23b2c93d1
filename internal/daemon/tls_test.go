package daemon

import (
	"bytes"
	"crypto/tls"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsClient is an HTTPS client trusting ca, presenting certs, opening a
// new connection (a full handshake) for every request.
func tlsClient(ca *testCA, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool(), Certificates: certs},
		DisableKeepAlives: true,
	}}
}

// postStripeWith posts the example charge, signed, with client.
func postStripeWith(t *testing.T, client *http.Client, base string) (*http.Response, error) {
	t.Helper()
	body := readExample(t, "stripe/charge.succeeded.json")
	req, err := http.NewRequest(http.MethodPost, base+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripeSign(body, time.Now()))
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// servedSerial is the serial number of the certificate a handshake with
// addr gets.
func servedSerial(t *testing.T, addr string, ca *testCA) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool()})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

func TestPublicListenerTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "test CA")
	certFile, keyFile, firstSN := ca.issueFiles(t, dir, "server", false)
	cfg := secureConfig(t)
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	logs := &logBuffer{}
	d, err := startDaemon(t, cfg, logs, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	addr := d.HTTPAddr()

	t.Run("delivery over TLS", func(t *testing.T) {
		resp, err := postStripeWith(t, tlsClient(ca), "https://"+addr)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("status %d, want 202", resp.StatusCode)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Errorf("connection state %+v, want TLS 1.2 or later", resp.TLS)
		}
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Errorf("negotiated %q, want h2", p)
		}
	})

	t.Run("TLS 1.1 refused", func(t *testing.T) {
		_, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if err == nil || !strings.Contains(err.Error(), "protocol version") {
			t.Fatalf("TLS 1.1 handshake: %v, want a protocol version alert", err)
		}
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatalf("TLS 1.2 handshake: %v", err)
		}
		conn.Close()
	})

	t.Run("plain HTTP refused", func(t *testing.T) {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/webhooks/stripe")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("plain HTTP: status %d, want 400 (Go's answer to HTTP on a TLS port)", resp.StatusCode)
			}
		}
	})

	t.Run("certificate replaced", func(t *testing.T) {
		if got := servedSerial(t, addr, ca); got.Cmp(firstSN) != 0 {
			t.Fatalf("serving serial %v, want the first certificate's %v", got, firstSN)
		}
		c, k, secondSN := ca.issue(t, "server", false)
		writeFile(t, certFile, c)
		writeFile(t, keyFile, k)
		if got := servedSerial(t, addr, ca); got.Cmp(secondSN) != 0 {
			t.Fatalf("after the files were replaced: serial %v, want the new certificate's %v", got, secondSN)
		}
		if n := len(logs.records(t, "TLS certificate reloaded")); n != 1 {
			t.Errorf("%d reloads logged, want 1", n)
		}

		// A certificate whose key has not arrived yet (or a broken file)
		// keeps the current pair in service, and says why once.
		other, _, _ := ca.issue(t, "server", false)
		writeFile(t, certFile, other)
		for range 2 {
			if got := servedSerial(t, addr, ca); got.Cmp(secondSN) != 0 {
				t.Fatalf("after a bad pair: serial %v, want the previous certificate's %v", got, secondSN)
			}
		}
		if n := len(logs.records(t, "TLS certificate not reloaded; serving the previous one")); n != 1 {
			t.Errorf("bad pair logged %d times, want once", n)
		}
		writeFile(t, certFile, []byte("not a certificate"))
		if got := servedSerial(t, addr, ca); got.Cmp(secondSN) != 0 {
			t.Fatalf("after a garbage file: serial %v, want the previous certificate's %v", got, secondSN)
		}
	})
}

func TestPublicListenerMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "server CA")
	clients := newCA(t, "client CA")
	certFile, keyFile, _ := ca.issueFiles(t, dir, "server", false)
	cfg := secureConfig(t)
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	cfg.TLSClientCA = filepath.Join(dir, "clients.pem")
	writeFile(t, cfg.TLSClientCA, clients.pem)
	d, err := startDaemon(t, cfg, nil, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + d.HTTPAddr()

	t.Run("no client certificate", func(t *testing.T) {
		if resp, err := postStripeWith(t, tlsClient(ca), base); err == nil {
			t.Fatalf("delivery without a client certificate: status %d, want a refused handshake", resp.StatusCode)
		}
	})
	t.Run("client certificate of another CA", func(t *testing.T) {
		stranger := newCA(t, "stranger CA")
		if resp, err := postStripeWith(t, tlsClient(ca, clientPair(t, stranger, "intruder")), base); err == nil {
			t.Fatalf("delivery with a certificate of another CA: status %d, want a refused handshake", resp.StatusCode)
		}
	})
	t.Run("client certificate of the CA", func(t *testing.T) {
		resp, err := postStripeWith(t, tlsClient(ca, clientPair(t, clients, "psp")), base)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 202", resp.StatusCode)
		}
	})
}

// clientPair is a client certificate of ca, for tls.Config.Certificates.
func clientPair(t *testing.T, ca *testCA, cn string) tls.Certificate {
	t.Helper()
	c, k, _ := ca.issue(t, cn, true)
	return keyPair(t, c, k)
}

func TestStartFailsOnBadCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "test CA")
	certFile, keyFile, _ := ca.issueFiles(t, dir, "server", false)
	_, otherKey, _ := ca.issueFiles(t, dir, "other", false)
	tests := []struct {
		name           string
		cert, key, cas string
		want           string
	}{
		{"missing certificate", filepath.Join(dir, "missing.pem"), keyFile, "", "missing.pem"},
		{"key of another certificate", certFile, otherKey, "", "private key does not match public key"},
		{"client CA not PEM", certFile, keyFile, keyFile, "--tls-client-ca: " + keyFile + ": no PEM certificate found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := secureConfig(t)
			cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA = tc.cert, tc.key, tc.cas
			_, err := startDaemon(t, cfg, nil, 10*time.Second)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// Replacing the --tls-client-ca file rotates the client CAs without a
// restart; a file that does not load keeps the previous ones.
func TestClientCAReload(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "server CA")
	oldCA, newCAs := newCA(t, "client CA 1"), newCA(t, "client CA 2")
	certFile, keyFile, _ := ca.issueFiles(t, dir, "server", false)
	cfg := secureConfig(t)
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	cfg.TLSClientCA = filepath.Join(dir, "clients.pem")
	writeFile(t, cfg.TLSClientCA, oldCA.pem)
	d, err := startDaemon(t, cfg, nil, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + d.HTTPAddr()
	accepted := func(c *testCA, cn string) bool {
		resp, err := postStripeWith(t, tlsClient(ca, clientPair(t, c, cn)), base)
		return err == nil && (resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK)
	}
	if !accepted(oldCA, "psp-1") || accepted(newCAs, "psp-2") {
		t.Fatal("before the rotation: want CA 1's client in and CA 2's out")
	}
	writeFile(t, cfg.TLSClientCA, newCAs.pem)
	if accepted(oldCA, "psp-1") || !accepted(newCAs, "psp-2") {
		t.Fatal("after the rotation: want CA 2's client in and CA 1's out")
	}
	writeFile(t, cfg.TLSClientCA, []byte("not a certificate"))
	if !accepted(newCAs, "psp-2") {
		t.Fatal("a broken CA file dropped the CAs in use")
	}
}
