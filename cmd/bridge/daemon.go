package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/daemon"
)

var runHelp = help{
	name:    "run",
	purpose: "run the daemon: webhooks, NATS payloads and events-protocol calls in, CloudEvents in JetStream out",
	args:    "[flags]",
	more: `Each setting is taken from its flag, else its environment variable, else
the config file, else its default. See docs/configuration.md.
`,
}

// runDaemon is `bridge run`: start, wait for a signal, drain, exit.
func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := runHelp.newFlagSet()
	cfg, err := config.Load(fs, args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		runHelp.write(stdout, config.Settings())
		return 0
	}
	if err != nil {
		return runHelp.usageError(stderr, "%s%s", flagError(err), flagSuggestion(fs, err))
	}
	log := cfg.Logger(stderr)
	gcPercent := setGCPercent(os.LookupEnv)
	memLimit := setMemoryLimit(os.LookupEnv, os.ReadFile)
	log.Info("starting", "version", versionString(), "config", cfg.File, "gc_percent", gcPercent, "memory_limit", memLimit)

	d, err := daemon.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "bridge run: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := d.Start(ctx); err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-hup:
			_ = d.Reload() // the daemon logs the outcome, with every problem
		case <-ctx.Done():
			done = true
		}
	}
	log.Info("shutting down", "grace", cfg.Grace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Grace)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// defaultGCPercent is the bridge's garbage-collection target when GOGC is
// not set: its live heap is small (tens of MB) and every delivery
// allocates, so collecting at 300% growth instead of Go's 100% costs about
// 10-15% less CPU per event for some 15 MiB more memory (measured:
// docs/performance.md). GOGC and GOMEMLIMIT in the environment still rule.
const defaultGCPercent = 300

// setGCPercent applies defaultGCPercent unless GOGC is set, and returns the
// percentage in force (-1: off).
func setGCPercent(lookupEnv func(string) (string, bool)) int {
	if v, ok := lookupEnv("GOGC"); ok {
		if v == "off" {
			return -1
		}
		n, _ := strconv.Atoi(v)
		return n
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

// memoryLimitShare is the part of its container's memory limit the bridge
// gives the Go runtime as a soft limit: with GOGC at 300 the heap may grow
// to four times the live data between collections, and a burst of large
// bodies would otherwise meet the container's hard limit (an OOM kill)
// before a collection.
const memoryLimitShare = 0.8

// cgroupMemoryFiles hold a container's memory limit: cgroup v2, then v1.
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// setMemoryLimit sets the runtime's soft memory limit to memoryLimitShare
// of the container's, unless GOMEMLIMIT is set or no limit is found, and
// returns the limit in force in bytes ("none" when there is none).
func setMemoryLimit(lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) string {
	if v, ok := lookupEnv("GOMEMLIMIT"); ok {
		return v
	}
	for _, f := range cgroupMemoryFiles {
		b, err := readFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max" (v2), or v1's "unlimited" (a number near 2^63): no limit.
		if err != nil || n <= 0 || n >= 1<<60 {
			return "none"
		}
		limit := int64(float64(n) * memoryLimitShare)
		debug.SetMemoryLimit(limit)
		return strconv.FormatInt(limit, 10)
	}
	return "none"
}
