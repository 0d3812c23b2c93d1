package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ServiceName is the service.name resource attribute of the bridge's spans.
const ServiceName = "bridge"

// TracesPath is the OTLP/HTTP path of spans, appended to an endpoint that
// does not already end in it.
const TracesPath = "/v1/traces"

// ErrInvalidEndpoint is wrapped by the error for an endpoint that is not an
// http:// or https:// URL with a host.
var ErrInvalidEndpoint = errors.New("invalid OTLP endpoint")

// Config configures span export.
type Config struct {
	// Endpoint is the URL of the collector's OTLP/HTTP receiver, such as
	// http://otel-collector:4318; spans go to its path + TracesPath unless
	// the path already ends in TracesPath. Empty: tracing is off.
	Endpoint string
	// Insecure allows plain HTTP to the collector, needed by an http://
	// Endpoint (default false: https:// only).
	Insecure bool
	// SampleRatio is the share of new traces sampled, 0 to 1; a delivery
	// that arrives with a trace context follows its sampled flag (default
	// DefaultSampleRatio).
	SampleRatio float64
	// Version is the service.version resource attribute.
	Version string
	// Logger receives export failures (at most one a minute) and their
	// recovery; nil discards.
	Logger *slog.Logger
}

// DefaultSampleRatio is Config.SampleRatio's default: every new trace.
const DefaultSampleRatio = 1.0

// DefaultConfig returns the default configuration: tracing off (no
// Endpoint), and every new trace sampled once it is on.
func DefaultConfig() Config { return Config{SampleRatio: DefaultSampleRatio} }

// Validate reports every problem of c at once: an Endpoint that is not an
// http:// or https:// URL with a host, plain HTTP without Insecure, a
// SampleRatio outside 0 to 1. An empty Endpoint (tracing off) is valid.
// It never changes c.
func (c Config) Validate() error {
	var errs []error
	if c.Endpoint != "" {
		u, err := c.TracesURL()
		switch {
		case err != nil:
			errs = append(errs, err)
		case u.Scheme == "http" && !c.Insecure:
			errs = append(errs, fmt.Errorf("OTLP endpoint %q is plain HTTP: allow it with Insecure", c.Endpoint))
		}
	}
	if math.IsNaN(c.SampleRatio) || c.SampleRatio < 0 || c.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("trace sample ratio must be between 0 and 1, got %v", c.SampleRatio))
	}
	return errors.Join(errs...)
}

// TracesURL returns the URL spans are posted to, or an error wrapping
// ErrInvalidEndpoint.
func (c Config) TracesURL() (*url.URL, error) {
	u, err := url.Parse(c.Endpoint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidEndpoint, c.Endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w %q: want an http:// or https:// URL", ErrInvalidEndpoint, c.Endpoint)
	case u.Host == "":
		return nil, fmt.Errorf("%w %q: no host", ErrInvalidEndpoint, c.Endpoint)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("%w %q: no user, query or fragment allowed", ErrInvalidEndpoint, c.Endpoint)
	}
	if !strings.HasSuffix(u.Path, TracesPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + TracesPath
	}
	return u, nil
}

// Provider owns the tracer provider and its exporter. A nil *Provider is
// tracing off.
type Provider struct {
	tp     *sdktrace.TracerProvider
	tracer *Tracer
}

// Start builds the exporter and the tracer provider; with no Endpoint it
// returns nil and starts nothing. Nothing is sent before the first span
// ends, so a collector that is down does not stop the bridge.
func Start(cfg Config) (*Provider, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, err := cfg.TracesURL()
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The URL sets host, path and scheme, over any OTEL_EXPORTER_OTLP_*
	// endpoint or insecure variable; the others (headers, certificates,
	// compression, timeout) still apply. The context only bounds the
	// client's start, which for HTTP does nothing.
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", ServiceName), attribute.String("service.version", cfg.Version)))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&loggingExporter{SpanExporter: exp, log: cfg.Logger, url: u.String()}),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg.SampleRatio)),
	)
	return &Provider{tp: tp, tracer: NewTracer(tp)}, nil
}

// sampler samples ratio of the new traces, and follows the sampled flag of
// a delivery's incoming trace context.
func sampler(ratio float64) sdktrace.Sampler {
	return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
}

// Tracer returns the provider's tracer; nil (tracing off) for a nil p.
func (p *Provider) Tracer() *Tracer {
	if p == nil {
		return nil
	}
	return p.tracer
}

// Shutdown exports the spans still buffered and stops the exporter, within
// ctx. Safe on a nil Provider and twice.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	return nil
}

// logPeriod is the least time between two logged export failures.
const logPeriod = time.Minute

// loggingExporter logs export failures with the bridge's logger instead of
// handing them to OpenTelemetry's global error handler, and drops the
// batch: a collector that is down never holds up a delivery.
type loggingExporter struct {
	sdktrace.SpanExporter
	log *slog.Logger
	url string

	mu       sync.Mutex
	failing  bool
	lastLog  time.Time
	failures int // since the last logged one
}

func (e *loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err == nil && e.failing:
		e.failing = false
		e.log.Info("trace export recovered", "endpoint", e.url)
	case err != nil:
		e.failing = true
		e.failures++
		if now := time.Now(); now.Sub(e.lastLog) >= logPeriod {
			e.log.Warn("trace export failed; spans dropped", "endpoint", e.url, "spans", len(spans),
				"failures", e.failures, "err", err)
			e.lastLog, e.failures = now, 0
		}
	}
	return nil
}
