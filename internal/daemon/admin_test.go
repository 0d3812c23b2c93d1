package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// adminCall makes a request to the admin listener as a browser page would
// after DNS rebinding: to the listener's address, with the Host header of
// whatever name the page was loaded from.
func adminCall(t *testing.T, b *bridge, method, path, host, token string) reply {
	t.Helper()
	var body *bytes.Reader
	if method == http.MethodPost {
		body = bytes.NewReader([]byte(`{"provider":"stripe","payload":{},"dry_run":true}`))
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, b.admin+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body) // problems are objects; /api/catalog is a list
	return r
}

// adminRoutes are the routes that show or change something.
var adminRoutes = []struct{ method, path string }{
	{http.MethodGet, "/metrics"},
	{http.MethodGet, "/api/dlq"},
	{http.MethodPost, "/api/dlq/replay"},
	{http.MethodPost, "/api/map"},
	{http.MethodGet, "/api/mappings"},
	{http.MethodGet, "/api/catalog"},
	{http.MethodGet, "/playground"},
}

// TestAdminHostCheck: a request whose Host is a name other than localhost
// and --admin-hosts (a page's own name after DNS rebinding) is answered
// 421 on every route but the probes, which an orchestrator sends with the
// pod's IP; IP addresses are answered.
func TestAdminHostCheck(t *testing.T) {
	b := startBridge(t, nil, func(c *config.Config) { c.AdminHosts = []string{"bridge-admin.internal"} })
	_, port, _ := net.SplitHostPort(b.AdminAddr())
	for _, host := range []string{"evil.example", "evil.example:" + port, "localhost.evil.example", "127.0.0.1.nip.io:" + port, "bridge-admin"} {
		for _, rt := range adminRoutes {
			r := adminCall(t, b, rt.method, rt.path, host, "")
			if r.status != http.StatusMisdirectedRequest || r.body["type"] != "urn:bridge:problem:misdirected-request" ||
				!strings.Contains(fmt.Sprint(r.body["detail"]), "--admin-hosts") {
				t.Errorf("%s %s with Host %s: %d %s, want 421 misdirected-request", rt.method, rt.path, host, r.status, r.raw)
			}
		}
		for _, probe := range []string{"/healthz", "/readyz"} {
			if r := adminCall(t, b, http.MethodGet, probe, host, ""); r.status != http.StatusOK {
				t.Errorf("GET %s with Host %s: %d %s, want 200 (probes answer any host)", probe, host, r.status, r.raw)
			}
		}
	}
	for _, host := range []string{"", "localhost:" + port, "LOCALHOST", "localhost.", "127.0.0.1:" + port, "127.9.8.7", "[::1]:" + port,
		"10.1.2.3:" + port, "[fd00::5]", "bridge-admin.internal:" + port, "Bridge-Admin.Internal"} {
		if r := adminCall(t, b, http.MethodGet, "/api/mappings", host, ""); r.status != http.StatusOK {
			t.Errorf("GET /api/mappings with Host %q: %d %s, want 200", host, r.status, r.raw)
		}
	}
}

func TestAdminAllowedHost(t *testing.T) {
	g := newAdminGuard(http.NotFoundHandler(), config.Config{AdminHosts: []string{"admin.internal"}}, nil)
	for host, want := range map[string]bool{
		"10.0.0.5:9090": true, "10.0.0.5": true, "admin.internal": true, "ADMIN.internal.:9090": true, "127.0.0.1": true,
		"[::1]:9090": true, "localhost": true, "[fe80::1%25eth0]": false,
		"": false, "evil.example": false, "admin.internal.evil.example": false, "localhost.evil.example": false, "[::1]x": false,
	} {
		if _, got := g.allowedHost(host); got != want {
			t.Errorf("Host %q allowed: %v, want %v", host, got, want)
		}
	}
}

// TestAdminToken: with BRIDGE_ADMIN_TOKEN every route but the probes and
// the playground's page needs the bearer token; a missing or wrong one is
// 401 with a Bearer challenge, and the token is never logged.
func TestAdminToken(t *testing.T) {
	const token = "adm-9f2c1b7e-never-logged"
	logs := &logBuffer{}
	b := launchBridge(t, setup{logs: logs, edit: func(c *config.Config) { c.AdminToken = token }})
	for _, rt := range adminRoutes {
		if rt.path == "/playground" {
			continue
		}
		r := adminCall(t, b, rt.method, rt.path, "", "")
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="bridge admin"` ||
			r.body["type"] != "urn:bridge:problem:unauthorized" {
			t.Errorf("%s %s without the token: %d %v %s, want 401 with a Bearer challenge", rt.method, rt.path, r.status, r.header, r.raw)
		}
		for _, wrong := range []string{"Bearer nope", "Bearer " + token + "x", "Basic " + token, token} {
			r := adminCall(t, b, rt.method, rt.path, "", wrong)
			if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s %s with %q: %d %v, want 401 invalid_token", rt.method, rt.path, wrong, r.status, r.header)
			}
		}
		r = adminCall(t, b, rt.method, rt.path, "", "Bearer "+token)
		if r.status == http.StatusUnauthorized || r.status == http.StatusMisdirectedRequest {
			t.Errorf("%s %s with the token: %d %s", rt.method, rt.path, r.status, r.raw)
		}
	}
	if r := adminCall(t, b, http.MethodGet, "/metrics", "", "bearer "+token); r.status != http.StatusOK {
		t.Errorf("GET /metrics with a lower-case scheme: %d", r.status)
	}
	// A path that only looks like the page's is not let through.
	for _, path := range []string{"/playground/../api/dlq", "/playground/..%2fapi/dlq", "/playground/%2e%2e/metrics"} {
		req := mustRequest(t, http.MethodGet, b.admin+"/x")
		req.URL.Opaque = path // sent as written, not cleaned by the client
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/playground", "/playground/app.js"} {
		if r := adminCall(t, b, http.MethodGet, path, "", ""); r.status != http.StatusOK {
			t.Errorf("GET %s without the token: %d, want 200", path, r.status)
		}
	}
	// The Host check comes first: a rebinding page that somehow had the
	// token still gets 421.
	if r := adminCall(t, b, http.MethodGet, "/metrics", "evil.example", "Bearer "+token); r.status != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host with the token: %d, want 421", r.status)
	}
	if n := len(logs.records(t, "admin request refused")); n == 0 {
		t.Error("no refusal logged")
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if strings.Contains(logs.buf.String(), token) {
		t.Error("the admin token is in the logs")
	}
}

// TestAdminLimits: the admin listener has the public listener's limits:
// headers over 64 KiB are refused with 431.
func TestAdminLimits(t *testing.T) {
	b := startBridge(t, nil, nil)
	for _, name := range []string{"admin", "public"} {
		srv := map[string]*http.Server{"admin": b.Daemon.admin, "public": b.Daemon.public}[name]
		if srv.ReadHeaderTimeout != readHeaderTimeout || srv.ReadTimeout != readTimeout || srv.IdleTimeout != idleTimeout ||
			srv.WriteTimeout != b.cfg.RequestTimeout+writeSlack || srv.MaxHeaderBytes != maxHeaderBytes {
			t.Errorf("%s listener limits: %+v", name, srv)
		}
	}
	req := mustRequest(t, http.MethodGet, b.admin+"/api/catalog")
	req.Header.Set("X-Padding", strings.Repeat("x", 100<<10))
	if r := do(t, req); r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: %d, want 431", r.status)
	}
}

// TestReplayBodyDeadline: a replay request whose body trickles in is cut
// off at the body's deadline with 400, however long the listener's own
// timeouts.
func TestReplayBodyDeadline(t *testing.T) {
	b := launchBridge(t, setup{beforeStart: func(_ *testing.T, d *Daemon) { d.replayBodyTimeout = 300 * time.Millisecond }})
	conn, err := net.Dial("tcp", b.AdminAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/dlq/replay HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	r := readAnswer(t, conn) // waits at most 10 s, a third of the read timeout
	if r.status != http.StatusBadRequest || r.body["type"] != "urn:bridge:problem:invalid-body" ||
		!strings.Contains(fmt.Sprint(r.body["detail"]), "timeout") {
		t.Errorf("stalled replay body: %d %s, want 400 invalid-body naming the timeout", r.status, r.raw)
	}
}
