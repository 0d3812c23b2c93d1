package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestHealthCommand runs `bridge health` against a real bridge subprocess:
// 0 while it is ready, 1 once its NATS server is gone (readiness fails while
// liveness still holds), 1 when nothing listens.
func TestHealthCommand(t *testing.T) {
	srv := natstest.Start(t)
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	health := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"health"}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}

	if code, out, errs := health("--admin", p.addrs.admin); code != 0 || !strings.Contains(out, `"ready":true`) {
		t.Fatalf("ready bridge: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, errs := health("--quiet", "--admin", p.addrs.admin); code != 0 || out != "" {
		t.Fatalf("--quiet: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The address can come from the environment, as in the image.
	t.Setenv("BRIDGE_ADMIN", p.addrs.admin)
	if code, _, errs := health(); code != 0 {
		t.Fatalf("BRIDGE_ADMIN: exit %d, stderr %q", code, errs)
	}

	srv.Stop(t)
	natstest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if code, _, _ := health("--admin", p.addrs.admin); code != 1 {
			return fmt.Errorf("exit %d while NATS is down, want 1", code)
		}
		return nil
	})
	if code, _, errs := health("--live", "--admin", p.addrs.admin); code != 0 {
		t.Fatalf("--live while NATS is down: exit %d, stderr %q", code, errs)
	}
	_, _, errs := health("--admin", p.addrs.admin)
	if !strings.Contains(errs, "503") {
		t.Errorf("not ready: stderr %q does not give the status", errs)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if code, _, errs := health("--admin", closed); code != 1 || !strings.Contains(errs, "--admin") {
		t.Errorf("nothing listening: exit %d, stderr %q (want 1, naming --admin)", code, errs)
	}
	if code, _, errs := health("--admin", p.addrs.admin, "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, stderr %q (want 2)", code, errs)
	}
}

func TestProbeAddr(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"0.0.0.0:9090", "127.0.0.1:9090"},
		{":9090", "127.0.0.1:9090"},
		{"[::]:9090", "[::1]:9090"},
		{"127.0.0.1:9090", "127.0.0.1:9090"},
		{"10.0.0.7:9090", "10.0.0.7:9090"},
		{"bridge:9090", "bridge:9090"},
	} {
		if got := probeAddr(tc.listen); got != tc.want {
			t.Errorf("probeAddr(%q) = %q, want %q", tc.listen, got, tc.want)
		}
	}
}

// TestHealthFollowsNoRedirect: a 302 to a healthy server elsewhere is not
// readiness.
func TestHealthFollowsNoRedirect(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"ready":true}`)) }))
	defer healthy.Close()
	redirect := httptest.NewServer(http.RedirectHandler(healthy.URL+"/readyz", http.StatusFound))
	defer redirect.Close()
	var out, errb bytes.Buffer
	code := run([]string{"health", "--admin", strings.TrimPrefix(redirect.URL, "http://")}, strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "302") {
		t.Errorf("a redirect: exit %d, stdout %q, stderr %q; want 1 naming the 302", code, out.String(), errb.String())
	}
}
