// Command subscriber is a runnable consumer of the events the bridge
// stores, built on the subscriber package: it prints each event as one
// line of JSON on stdout, once per idempotencykey and in order per entity,
// and dead-letters what it cannot take.
//
// With `make run` going in another terminal (an embedded NATS on
// 127.0.0.1:4222):
//
//	go run ./examples/subscriber --subject 'event.stripe.>'
//	make post-example    # the charge appears in the subscriber's output
//
// Flags: --nats-url (default nats://127.0.0.1:4222, or $NATS_URL), --name
// (the durable consumer, default "example"), --subject (repeatable,
// default every event), --schemas (validate data against the bridge's
// schemas directory), --concurrency, --max-deliver, --metrics ADDR (serve
// Prometheus metrics of the kit's hooks on ADDR/metrics). A NATS
// credentials file is read from $NATS_CREDS, never from a flag.
// docs/subscribers.md explains the guarantees and their limits.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bridge-dev/bridge/subscriber"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "subscriber:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

type subjects []string

func (s *subjects) String() string     { return strings.Join(*s, ",") }
func (s *subjects) Set(v string) error { *s = append(*s, v); return nil }

// run is the whole command; it returns when ctx ends (SIGINT, SIGTERM).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("subscriber", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("nats-url", cmp.Or(getenv("NATS_URL"), "nats://127.0.0.1:4222"), "NATS server URL (or $NATS_URL)")
	name := fs.String("name", "example", "durable consumer name; also names its bucket and dead-letter stream")
	var subs subjects
	fs.Var(&subs, "subject", "subject filter, e.g. 'event.stripe.>' (repeatable; default every event)")
	schemas := fs.String("schemas", "", "directory of JSON Schemas to validate data against (the bridge's ./schemas)")
	concurrency := fs.Int("concurrency", subscriber.DefaultConcurrency, "entities handled in parallel")
	maxDeliver := fs.Int("max-deliver", subscriber.DefaultMaxDeliver, "handler attempts before an event is dead-lettered")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics on ADDR/metrics (off by default)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	opts := []nats.Option{nats.Name("bridge example subscriber " + *name), nats.MaxReconnects(-1)}
	if creds := getenv("NATS_CREDS"); creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	nc, err := nats.Connect(*url, opts...)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", *url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}

	cfg := subscriber.Config{
		Name: *name, Subjects: subs, Schemas: *schemas,
		Concurrency: *concurrency, MaxDeliver: *maxDeliver, Logger: log,
	}
	if *metricsAddr != "" {
		reg := prometheus.NewRegistry()
		cfg.Metrics = metricsFor(reg)
		stopMetrics, err := serveMetrics(*metricsAddr, reg, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	out := json.NewEncoder(stdout)
	log.Info("subscribing", "nats", *url, "name", *name, "subjects", subs.String(),
		"dead_letters", subscriber.DeadLetterStream(*name))
	return subscriber.Run(ctx, js, cfg, func(ctx context.Context, e cloudevents.Event) error {
		// A real service does its work here, and returns an error to have
		// the event retried (subscriber.Permanent: dead-lettered at once).
		return out.Encode(e)
	})
}

// metricsFor wires the kit's hooks to Prometheus counters.
func metricsFor(reg prometheus.Registerer) subscriber.Metrics {
	handled := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "subscriber_handled_seconds", Help: "Handler calls that succeeded, by event type, and how long they took.",
	}, []string{"type"})
	duplicates := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "subscriber_duplicates_skipped_total", Help: "Events skipped because their idempotencykey was handled.",
	}, []string{"type"})
	invalid := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "subscriber_invalid_total", Help: "Messages that are not valid events, by reason.",
	}, []string{"reason"})
	retries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "subscriber_retries_total", Help: "Handler failures that will be retried, by event type.",
	}, []string{"type"})
	dead := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "subscriber_dead_letters_total", Help: "Messages stored in the dead-letter stream, by reason.",
	}, []string{"reason"})
	reg.MustRegister(handled, duplicates, invalid, retries, dead)
	return subscriber.Metrics{
		Handled:          func(t string, d time.Duration) { handled.WithLabelValues(t).Observe(d.Seconds()) },
		DuplicateSkipped: func(t string) { duplicates.WithLabelValues(t).Inc() },
		Invalid:          func(r string) { invalid.WithLabelValues(r).Inc() },
		Retry:            func(t string, _ int) { retries.WithLabelValues(t).Inc() },
		DeadLettered:     func(r string) { dead.WithLabelValues(r).Inc() },
	}
}

func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "error", err)
		}
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
