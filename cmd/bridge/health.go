package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// healthClient asks the admin listener itself: no proxy from the
// environment, and a redirect is an answer (not 200), never followed to
// another server.
var healthClient = &http.Client{
	Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// healthTimeout bounds one probe: a container runtime kills a health
// command that hangs, and an answer that slow is a failure anyway.
const healthTimeout = 3 * time.Second

var healthHelp = help{name: "health", args: "[--live] [--quiet] [run settings]",
	purpose: "exit 0 when the running bridge is ready (GET /readyz on its admin listener), 1 when not",
	also:    []string{"admin", "config"},
	more: `bridge health also takes every bridge run setting (bridge help run); it probes
--admin's address, the loopback address when its host is unspecified.
`}

// healthFlags are bridge health's own flags; config.Load parses the run
// settings it takes besides.
type healthFlags struct {
	fs          *flag.FlagSet
	live, quiet *bool
}

func newHealthFlags() healthFlags {
	fs := healthHelp.newFlagSet()
	return healthFlags{fs,
		fs.Bool("live", false, "probe liveness (GET /healthz) instead of readiness (GET /readyz)"),
		fs.Bool("quiet", false, "print nothing on success")}
}

// runHealth is `bridge health`: it asks a running bridge's admin listener
// whether it is ready (GET /readyz; with --live, GET /healthz) and exits 0
// on 200, 1 otherwise. It reads the same settings as `bridge run` (flags,
// BRIDGE_* variables, --config or BRIDGE_CONFIG), so in a container it
// probes the address the daemon listens on; an unspecified host (0.0.0.0,
// ::) is probed on the loopback address. The image's HEALTHCHECK and the
// compose example use it: the image has no shell, curl or wget.
func runHealth(args []string, stdout, stderr io.Writer) int {
	f := newHealthFlags()
	fs, live, quiet := f.fs, f.live, f.quiet
	// Split health's own flags from the run settings: config.Load parses
	// the rest, and rejects what neither knows.
	own, rest := splitHealthArgs(args)
	if err := fs.Parse(own); err != nil {
		return healthHelp.parseError(err, fs, stdout, stderr)
	}
	settings := healthHelp.newFlagSet()
	cfg, err := config.Load(settings, rest, os.LookupEnv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			healthHelp.write(stdout, healthHelp.rows(fs))
			return 0
		}
		return healthHelp.usageError(stderr, "%s%s", flagError(err), flagSuggestion(settings, err, "live", "quiet"))
	}
	path := "/readyz"
	if *live {
		path = "/healthz"
	}
	url := "http://" + probeAddr(cfg.Admin) + path
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return healthHelp.usageError(stderr, "--admin %q: %v", cfg.Admin, err)
	}
	resp, err := healthClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "bridge health: %s: %v (is the bridge running, with --admin %s?)\n", url, err, cfg.Admin)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "bridge health: %s answered %s: %s\n", url, resp.Status, strings.TrimSpace(string(body)))
		return 1
	}
	if !*quiet {
		fmt.Fprintf(stdout, "%s: %s\n", url, strings.TrimSpace(string(body)))
	}
	return 0
}

// splitHealthArgs separates health's own flags (--live, --quiet, -h) from
// the run settings.
func splitHealthArgs(args []string) (own, rest []string) {
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "live", "live=true", "live=false", "quiet", "quiet=true", "quiet=false", "h", "help":
			own = append(own, a)
		default:
			rest = append(rest, a)
		}
	}
	return own, rest
}

// probeAddr is the address to dial for a listen address: an unspecified
// or empty host becomes the loopback address.
func probeAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}
