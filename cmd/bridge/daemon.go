package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/daemon"
)

// runDaemon is `bridge run`: start, wait for a signal, drain, exit.
func runDaemon(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridge run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge run: %v\n", err)
		return 2
	}
	log := cfg.Logger(stderr)
	log.Info("starting", "version", versionString(), "config", cfg.File)

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
