package natsembed

import (
	"net"
	"net/url"
	"testing"
	"time"
)

// TestListensOnLoopbackOnly checks that a loopback listen address, the
// bridge's default, is all the server binds: its client port answers on
// 127.0.0.1 and not on the machine's other addresses, and no monitoring
// port is opened.
func TestListensOnLoopbackOnly(t *testing.T) {
	s := startT(t, Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()})
	u, err := url.Parse(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), time.Second)
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	conn.Close()

	if s.ns.MonitorAddr() != nil {
		t.Errorf("monitoring port open on %v", s.ns.MonitorAddr())
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("the client port answers on %s", ipn.IP)
		}
	}
	if tried == 0 {
		t.Skip("no address but loopback to try")
	}
}
