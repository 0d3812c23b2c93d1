package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// The memory tests attack a real bridge process the way issue 15 did: many
// requests declaring a body of about a megabyte and sending one byte. The
// bridge must not believe the declarations: its resident memory and Go
// heap may grow by less than maxGrowth, while every request is in its
// body reader.
const (
	slowRequests = 200
	declaredBody = 900_000 // under the body limit the test NATS server allows (896 KiB)
	maxGrowth    = 64 << 20
	presize      = ingest.BodyPresize // what each slow body is charged
)

// TestSlowDeclaredBodiesHTTP1: 200 connections, each a request declaring
// ~1 MB and sending one byte.
func TestSlowDeclaredBodiesHTTP1(t *testing.T) {
	p := startProc(t, bridgeAddrs{nats: natstest.Start(t).URL()})
	a := p.addrs
	before := memoryOf(t, p, a.admin)
	for range slowRequests {
		conn, err := net.Dial("tcp", a.http)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := fmt.Fprintf(conn, "POST /webhooks/stripe HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\n"+
			"Content-Length: %d\r\n\r\n{", declaredBody); err != nil {
			t.Fatal(err)
		}
	}
	awaitSlowBodies(t, a.admin)
	checkGrowth(t, before, memoryOf(t, p, a.admin))
}

// TestSlowDeclaredBodiesHTTP2: the same over TLS, 200 streams of HTTP/2
// (on one connection, or a few while the client learns the server's
// stream limit).
func TestSlowDeclaredBodiesHTTP2(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	p := startProc(t, bridgeAddrs{nats: natstest.Start(t).URL()}, "--tls-cert", certFile, "--tls-key", keyFile)
	a := p.addrs
	before := memoryOf(t, p, a.admin)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	protos := make(chan string, slowRequests)
	for range slowRequests {
		pr, pw := io.Pipe()
		t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+a.http+"/webhooks/stripe", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = declaredBody
		req.Header.Set("Content-Type", "application/json")
		go func() {
			resp, err := tr.RoundTrip(req)
			if err == nil {
				protos <- resp.Proto
				resp.Body.Close()
			}
		}()
		go func() { _, _ = pw.Write([]byte("{")) }()
	}
	awaitSlowBodies(t, a.admin)
	checkGrowth(t, before, memoryOf(t, p, a.admin))
	select {
	case proto := <-protos:
		t.Fatalf("a slow request was answered (%s) while its body was still coming", proto)
	default:
	}
	// Every stream was HTTP/2: a probe on the same transport says so.
	resp, err := tr.RoundTrip(mustGet(t, "https://"+a.http+"/webhooks/stripe"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("probe over %s, want HTTP/2", resp.Proto)
	}
}

func mustGet(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// memory is what a bridge process holds: its resident set (VmRSS) and the
// Go heap in use.
type memory struct{ rss, heap float64 }

func memoryOf(t *testing.T, p *proc, admin string) memory {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var m memory
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			m.rss = kb * 1024
		}
	}
	m.heap = metric(t, admin, "go_memstats_heap_inuse_bytes")
	return m
}

func checkGrowth(t *testing.T, before, after memory) {
	t.Helper()
	t.Logf("%d slow requests declaring %d bytes: RSS %.1f -> %.1f MiB, heap in use %.1f -> %.1f MiB",
		slowRequests, declaredBody, before.rss/(1<<20), after.rss/(1<<20), before.heap/(1<<20), after.heap/(1<<20))
	if g := after.rss - before.rss; g >= maxGrowth {
		t.Errorf("RSS grew by %.1f MiB, want less than %d MiB", g/(1<<20), maxGrowth>>20)
	}
	if g := after.heap - before.heap; g >= maxGrowth {
		t.Errorf("heap in use grew by %.1f MiB, want less than %d MiB", g/(1<<20), maxGrowth>>20)
	}
}

// awaitSlowBodies waits until every slow request is in its body reader,
// charged its first buffer.
func awaitSlowBodies(t *testing.T, admin string) {
	t.Helper()
	natstest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if got := metric(t, admin, "bridge_body_inflight_bytes"); got != slowRequests*presize {
			return fmt.Errorf("bridge_body_inflight_bytes = %v, want %d (%d slow bodies)", got, slowRequests*presize, slowRequests)
		}
		return nil
	})
}

// metric reads one sample without labels from the admin listener.
func metric(t *testing.T, admin, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// selfSigned writes a certificate for 127.0.0.1 and its key to a
// temporary directory, and returns a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bridge test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
