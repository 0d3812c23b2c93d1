// Command bridge-bench is the bridge's load harness. It starts an embedded
// nats-server (JetStream, file store in a temporary directory) and a bridge
// on it, in this process or as a `bridge run` subprocess, drives signed,
// unique webhook deliveries at it from many keep-alive connections, and
// reports throughput, latency, errors, CPU per 1,000 events and peak RSS.
// Afterwards it checks that the EVENTS stream holds exactly one event per
// 2xx answered. With --ceiling it also measures raw synchronous JetStream
// publishing on the same server, the bridge's upper bound; with --thin, a
// thin forwarder (read, publish, 202) in its own process. Every server
// syncs each write before acknowledging it, as the bridge's embedded server
// does by default, unless --sync-always=false.
//
//	go run ./cmd/bridge-bench --concurrency 64 --duration 20s --warmup 3s --ceiling
//	go run ./cmd/bridge-bench --subprocess --concurrency 64 --duration 20s --warmup 3s --ceiling
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const usageText = `bridge-bench drives signed, unique webhook deliveries at a bridge on an
embedded nats-server and reports throughput, latency, CPU and memory, then
checks that the EVENTS stream holds exactly one event per 2xx answered.
With --target it drives a bridge that already runs (make cluster's front,
say) and reads the run's events back from --nats-url.

Usage:
  go run ./cmd/bridge-bench [flags]

Flags:
`

// Options of one run; Run fills in the defaults of zero fields.
type Options struct {
	Subprocess bool   // run `bridge run` as a subprocess instead of in this process
	BridgeBin  string // the bridge binary for Subprocess; empty: go build ./cmd/bridge
	Mappings   string // mappings directory (default ./mappings)
	Schemas    string // schemas directory (default ./schemas)
	Examples   string // examples directory the payloads are made from (default ./examples)
	Provider   string // stripe (default) or pix
	// Target is the base URL (http://host:port) of a bridge that already
	// runs, e.g. the front of `make cluster`: no nats-server or bridge is
	// started, the bridge's CPU and memory are not measured, and the events
	// are read back from NATSURL. A signed provider's secret comes from the
	// bridge's own variable (STRIPE_WEBHOOK_SECRET).
	Target  string
	NATSURL string // with Target: the NATS the bridge stores in (default nats://127.0.0.1:4222)

	Concurrency int           // client goroutines, each with its own connection (default 64)
	Count       int           // measured deliveries; 0: run for Duration
	Duration    time.Duration // measured time when Count is 0 (default 10s)
	Warmup      time.Duration // unmeasured load before the measured part
	Ceiling     bool          // also measure raw JetStream publishing
	Thin        bool          // also measure the thin forwarder (thin.go)
	// SyncAlways runs the nats-servers (the bridge's and the ceiling's,
	// the thin forwarder's) syncing every write before acknowledging it,
	// the bridge's default; false: nats-server's lazy default.
	SyncAlways bool
	// NoArchive runs the bridge without its raw archive (--archive=false),
	// to tell what the archive's message per delivery costs.
	NoArchive bool

	CPUProfile string // in-process only: CPU profile of the measured part
	MemProfile string // in-process only: heap profile after the measured part

	// Timeout bounds the whole run; 0 picks one from the load's length.
	Timeout time.Duration
	// Log receives progress lines and the bridge's warnings; nil discards.
	Log io.Writer
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == thinCommand {
		os.Exit(thinServe(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second ^C kills at once; the first one cleans up
	}()
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain parses args, runs, prints the report and returns the exit code:
// 0 a clean run, 1 a run with failed deliveries or a failed exactly-once
// check (the report is printed), or that could not run; 2 a usage error;
// 130 interrupted.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, asJSON, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge-bench: %v\n", err)
		return 2
	}
	o.Log = stderr
	res, err := Run(ctx, o)
	if res != nil {
		res.WriteText(stdout)
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res)
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(stderr, "bridge-bench: interrupted")
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "bridge-bench: %v\n", err)
		return 1
	case !res.Clean():
		fmt.Fprintln(stderr, "bridge-bench: the run was not clean (see errors and exactly-once above)")
		return 1
	}
	return 0
}

func parseArgs(args []string, stderr io.Writer) (Options, bool, error) {
	var o Options
	var asJSON bool
	fs := flag.NewFlagSet("bridge-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Subprocess, "subprocess", false, "run the bridge as a `bridge run` subprocess (default: in this process)")
	fs.StringVar(&o.BridgeBin, "bridge-bin", "", "bridge binary for --subprocess (default: go build ./cmd/bridge into a temp dir)")
	fs.StringVar(&o.Mappings, "mappings", "./mappings", "mappings directory")
	fs.StringVar(&o.Schemas, "schemas", "./schemas", "JSON schemas directory")
	fs.StringVar(&o.Examples, "examples", "./examples", "examples directory the payloads are made from")
	fs.StringVar(&o.Provider, "provider", "stripe", "webhook to drive: stripe (signed charge.succeeded) or pix (unsigned)")
	fs.StringVar(&o.Target, "target", "", "drive a bridge that already runs at this `URL` (http://host:port, e.g. make cluster's front) instead of starting one; its secret from STRIPE_WEBHOOK_SECRET")
	fs.StringVar(&o.NATSURL, "nats-url", "", "with --target: the NATS `URL(s)` the bridge stores in, to read the events back (default nats://127.0.0.1:4222)")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "client goroutines, each with its own keep-alive connection")
	fs.IntVar(&o.Count, "count", 0, "measured deliveries (instead of --duration)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured time, when --count is not given")
	fs.DurationVar(&o.Warmup, "warmup", 0, "load before the measured part, not measured")
	fs.BoolVar(&o.Ceiling, "ceiling", false, "also measure raw synchronous JetStream publishing (same size, concurrency and length)")
	fs.BoolVar(&o.Thin, "thin", false, "also measure a thin forwarder (read, synchronous publish with a Nats-Msg-Id, 202) in its own process with its own nats-server")
	fs.BoolVar(&o.SyncAlways, "sync-always", true, "nats-servers sync every write before acknowledging it, as the bridge's embedded server does by default; false: nats-server's lazy default (every 2m)")
	archive := fs.Bool("archive", true, "the bridge keeps every delivery in its raw archive (RAW), as by default; false: --archive=false")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured part to `file` (in-process only)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile after the measured part to `file` (in-process only)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "bound on the whole run (default: from the load's length)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON too, after the report")
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if fs.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.NoArchive = !*archive
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["count"] && set["duration"] {
		return o, false, errors.New("--count and --duration exclude each other")
	}
	if set["count"] {
		o.Duration = 0
	}
	return o, asJSON, o.check()
}

// check reports options that cannot work together.
func (o Options) check() error {
	var errs []error
	if o.Provider != "stripe" && o.Provider != "pix" {
		errs = append(errs, fmt.Errorf("--provider: want stripe or pix, got %q", o.Provider))
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("--concurrency: must be at least 1, got %d", o.Concurrency))
	}
	if o.Count < 0 || o.Duration < 0 || o.Warmup < 0 || o.Timeout < 0 {
		errs = append(errs, errors.New("--count, --duration, --warmup and --timeout must not be negative"))
	}
	if o.Count == 0 && o.Duration == 0 {
		errs = append(errs, errors.New("either --count or --duration must be greater than 0"))
	}
	if o.Subprocess && (o.CPUProfile != "" || o.MemProfile != "") {
		errs = append(errs, errors.New("--cpuprofile and --memprofile profile this process: not with --subprocess"))
	}
	if !o.Subprocess && o.BridgeBin != "" {
		errs = append(errs, errors.New("--bridge-bin needs --subprocess"))
	}
	if o.Target != "" {
		if u, err := url.Parse(o.Target); err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("--target: want http://host:port, got %q", o.Target))
		}
		if o.Subprocess || o.Ceiling || o.Thin || o.CPUProfile != "" || o.MemProfile != "" {
			errs = append(errs, errors.New("--target drives a bridge that runs elsewhere: not with --subprocess, --ceiling, --thin, --cpuprofile or --memprofile"))
		}
	} else if o.NATSURL != "" {
		errs = append(errs, errors.New("--nats-url needs --target"))
	}
	return errors.Join(errs...)
}

// withDefaults fills in zero fields and makes the paths absolute (the
// subprocess and the in-process daemon both get the same directories).
func (o Options) withDefaults() (Options, error) {
	if o.Provider == "" {
		o.Provider = "stripe"
	}
	if o.Concurrency == 0 {
		o.Concurrency = 64
	}
	if o.Count == 0 && o.Duration == 0 {
		o.Duration = 10 * time.Second
	}
	for _, p := range []*string{&o.Mappings, &o.Schemas, &o.Examples} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, err
		}
		*p = abs
	}
	if o.Mappings == "" {
		o.Mappings, _ = filepath.Abs("mappings")
	}
	if o.Schemas == "" {
		o.Schemas, _ = filepath.Abs("schemas")
	}
	if o.Examples == "" {
		o.Examples, _ = filepath.Abs("examples")
	}
	if o.Timeout == 0 {
		// Start-up, a subprocess build, the load (twice with the ceiling),
		// reading the stream back and shutting down.
		load := o.Warmup + o.Duration
		if o.Count > 0 {
			load = o.Warmup + 20*time.Minute
		}
		if o.Ceiling {
			load *= 2
		}
		if o.Thin {
			load += o.Warmup + o.Duration
		}
		o.Timeout = 2*load + 5*time.Minute
	}
	if o.Target != "" && o.NATSURL == "" {
		o.NATSURL = "nats://127.0.0.1:4222"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o, o.check()
}

// Run does one whole benchmark: nats-server, bridge, warm-up, measured
// load, exactly-once check and, with Ceiling, the raw JetStream ceiling.
// It stops and removes everything it started before it returns, also when
// ctx is cancelled. A run whose deliveries failed still returns its Result
// (see Result.Clean); an error means there is no result.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if o, err = o.withDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "bridge-bench: "+format+"\n", args...) }

	gen, err := newGenerator(o.Provider, o.Examples)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "bridge-bench-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); rmErr != nil && err == nil {
			err = rmErr
		}
	}()

	res = &Result{
		Machine:     machineInfo(),
		Provider:    o.Provider,
		Payload:     gen.describe(),
		Concurrency: o.Concurrency,
		Count:       o.Count,
		Duration:    seconds(o.Duration),
		Warmup:      seconds(o.Warmup),
	}
	logf("%s", res.Machine.oneLine())

	b, natsURL, secret, stopTarget, err := startTarget(ctx, o, tmp, res, logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		err = errors.Join(err, stopTarget(sctx))
	}()
	res.Mode, res.ResourceScope = b.Describe()

	// The events of this run are those stored from here on.
	nc, js, err := connect(natsURL, "bridge-bench")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	fromSeq, err := nextSeq(ctx, js, "EVENTS")
	if err != nil {
		return nil, err
	}

	ld, err := newLoader("http://"+b.HTTPAddr()+"/webhooks/"+o.Provider, gen, secret, o.Concurrency)
	if err != nil {
		return nil, err
	}
	defer ld.close()

	if o.Warmup > 0 {
		logf("warm-up: %s at concurrency %d", o.Warmup, o.Concurrency)
		w := ld.run(ctx, 0, o.Warmup)
		res.WarmupDeliveries, res.WarmupFailed = w.Sent, w.failed()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}

	if err := measure(ctx, o, b, ld, res, logf); err != nil {
		return nil, err
	}

	logf("reading the EVENTS stream back (%d events answered 2xx)", ld.answeredCount())
	v, err := verify(ctx, js, ld, fromSeq)
	if err != nil {
		return nil, fmt.Errorf("exactly-once check: %w", err)
	}
	res.ExactlyOnce = v

	if err := compare(ctx, o, natsURL, js, gen, secret, tmp, res, logf); err != nil {
		return nil, err
	}
	return res, nil
}

// startTarget starts what is measured: the bridge at o.Target (events read
// back from o.NATSURL), or a nats-server and a bridge of this build, in
// this process or as a subprocess. It returns the bridge, the NATS URL its
// events are read back from, the webhook signing secret, and how to stop
// all it started.
func startTarget(ctx context.Context, o Options, tmp string, res *Result, logf func(string, ...any)) (b bridge, natsURL, secret string, stop func(context.Context) error, err error) {
	if o.Target != "" {
		if secret, err = targetSecret(o.Provider); err != nil {
			return nil, "", "", nil, err
		}
		b = newRemote(o.Target)
		logf("driving the bridge at %s (events read back from %s)", o.Target, o.NATSURL)
		return b, o.NATSURL, secret, b.Stop, nil
	}
	res.Sync = syncText(o.SyncAlways)
	res.Archive = !o.NoArchive
	logf("starting nats-server (JetStream, file store in %s, sync %s)", tmp, res.Sync)
	srv, err := startNATS(ctx, filepath.Join(tmp, "nats"), o.SyncAlways)
	if err != nil {
		return nil, "", "", nil, err
	}
	natsURL = srv.ClientURL()
	if secret, err = randomSecret(); err == nil {
		if o.Subprocess {
			b, err = startSubprocess(ctx, o, natsURL, srv.MonitorURL(), secret, tmp, logf)
		} else {
			b, err = startInProcess(ctx, o, natsURL, srv.MonitorURL(), secret, logf)
		}
	}
	if err != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		return nil, "", "", nil, errors.Join(err, srv.Shutdown(sctx))
	}
	stop = func(ctx context.Context) error { return errors.Join(b.Stop(ctx), srv.Shutdown(ctx)) }
	return b, natsURL, secret, stop, nil
}

// measure runs the measured load and records the bridge's (and, when it
// is another process, the harness's) figures in res.
func measure(ctx context.Context, o Options, b bridge, ld *loader, res *Result, logf func(string, ...any)) error {
	if o.Count > 0 {
		logf("measuring: %d deliveries at concurrency %d", o.Count, o.Concurrency)
	} else {
		logf("measuring: %s at concurrency %d", o.Duration, o.Concurrency)
	}
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	before, err := b.Usage()
	if err != nil {
		stopProfile()
		return err
	}
	var harnessBefore usage
	measureHarness := o.Subprocess || o.Target != ""
	if measureHarness {
		harnessBefore, _ = selfUsage()
	}
	st := ld.run(ctx, int64(o.Count), o.Duration)
	after, err := b.Usage()
	stopProfile()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := writeHeapProfile(o.MemProfile); err != nil {
		return err
	}
	res.Bridge = summarize(st, before, after)
	if measureHarness {
		harnessAfter, _ := selfUsage()
		h := resources(harnessBefore, harnessAfter, st.Events, st.Elapsed)
		res.Harness = &h
	}
	res.Dials = ld.client.dials.Load()
	return nil
}

// compare runs what the bridge is compared with, as o asks: raw JetStream
// publishing (the ceiling) and the thin forwarder, under the same load.
func compare(ctx context.Context, o Options, natsURL string, js jetstream.JetStream, gen *generator, secret, tmp string, res *Result, logf func(string, ...any)) error {
	if o.Ceiling {
		logf("ceiling: raw JetStream publishing at concurrency %d", o.Concurrency)
		c, err := runCeiling(ctx, natsURL, js, o, res.Bridge.Rate)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		res.Ceiling = c
	}
	if o.Thin {
		logf("thin forwarder: same load at concurrency %d", o.Concurrency)
		th, err := runThin(ctx, o, gen, secret, tmp, res.Bridge.Rate)
		if err != nil {
			return fmt.Errorf("thin forwarder: %w", err)
		}
		res.Thin = th
	}
	return nil
}

// startCPUProfile starts profiling this process into file (nothing when
// file is empty) and returns the function that stops it.
func startCPUProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes this process's heap profile (allocations since
// start included) to file, after a GC; nothing when file is empty.
func writeHeapProfile(file string) error {
	if file == "" {
		return nil
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
