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

// healthTimeout bounds one probe: a container runtime kills a health
// command that hangs, and an answer that slow is a failure anyway.
const healthTimeout = 3 * time.Second

// runHealth is `bridge health`: it asks a running bridge's admin listener
// whether it is ready (GET /readyz; with --live, GET /healthz) and exits 0
// on 200, 1 otherwise. It reads the same settings as `bridge run` (flags,
// BRIDGE_* variables, --config or BRIDGE_CONFIG), so in a container it
// probes the address the daemon listens on; an unspecified host (0.0.0.0,
// ::) is probed on the loopback address. The image's HEALTHCHECK and the
// compose example use it: the image has no shell, curl or wget.
func runHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridge health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	live := fs.Bool("live", false, "probe liveness (GET /healthz) instead of readiness (GET /readyz)")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "bridge health: exit 0 when the running bridge is ready (GET /readyz on its admin listener), 1 when not\n\nUsage: bridge health [--live] [--quiet] [run settings, e.g. --admin ADDR]\n\n")
		fs.PrintDefaults()
	}
	// Split health's own flags from the run settings: config.Load parses
	// the rest, and rejects what neither knows.
	own, rest := splitHealthArgs(args)
	if err := fs.Parse(own); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "\nbridge health also takes every `bridge run` setting; it uses --admin (BRIDGE_ADMIN).")
			return 0
		}
		return 2
	}
	settings := flag.NewFlagSet("bridge health", flag.ContinueOnError)
	settings.SetOutput(io.Discard)
	cfg, err := config.Load(settings, rest, os.LookupEnv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bridge health: %v\n", err)
		return 2
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
		fmt.Fprintf(stderr, "bridge health: --admin %q: %v\n", cfg.Admin, err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
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
