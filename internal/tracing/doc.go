// Package tracing carries W3C trace context through the bridge and
// exports its spans with OpenTelemetry.
//
// It owns three things: reading and validating the traceparent and
// tracestate a delivery arrives with (Context, FromHeader); the spans of a
// delivery and of its storage steps (Tracer, Span), which cost nothing when
// tracing is off (a nil *Tracer); and the OTLP/HTTP exporter and tracer
// provider (Provider), which the daemon starts and shuts down. It does not
// decide where the trace context goes on an event or a NATS message: the
// transform and the pipeline write what the ingestor hands them.
package tracing
