package tracing

import (
	"context"
	"net"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HTTP server span attributes: OpenTelemetry's HTTP semantic conventions
// (stable since semconv 1.23).
const (
	AttrHTTPMethod      = "http.request.method"
	AttrHTTPRoute       = "http.route"
	AttrHTTPStatusCode  = "http.response.status_code"
	AttrURLPath         = "url.path"
	AttrURLScheme       = "url.scheme"
	AttrServerAddress   = "server.address"
	AttrServerPort      = "server.port"
	AttrClientAddress   = "client.address"
	AttrUserAgent       = "user_agent.original"
	AttrNetworkProtocol = "network.protocol.version"
	AttrErrorType       = "error.type"
)

// StartRequest starts the server span of one delivery that came as an HTTP
// request (a webhook, an events-protocol envelope), as StartDelivery does,
// named and described as the HTTP semantic conventions say: "{method}
// {route}" (route is the pattern that served it, e.g.
// "/webhooks/{provider}"), with the request's method, route, path, scheme,
// server address and port, client address, user agent and protocol
// version. End it with FinishRequest.
func (t *Tracer) StartRequest(r *http.Request, route, ingest, provider string, in Context) (context.Context, Span, Context) {
	ctx := r.Context()
	if t == nil {
		return ctx, Span{}, in
	}
	if !in.IsZero() {
		c := carrier(in)
		ctx = propagation.TraceContext{}.Extract(ctx, &c)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs,
		attribute.String(AttrIngest, ingest), attribute.String(AttrProvider, provider),
		attribute.String(AttrHTTPMethod, r.Method), attribute.String(AttrHTTPRoute, route),
		attribute.String(AttrURLPath, r.URL.Path), attribute.String(AttrURLScheme, scheme),
		attribute.String(AttrNetworkProtocol, strconv.Itoa(r.ProtoMajor)+"."+strconv.Itoa(r.ProtoMinor)))
	if host, port, err := net.SplitHostPort(r.Host); err == nil {
		attrs = append(attrs, attribute.String(AttrServerAddress, host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int(AttrServerPort, p))
		}
	} else if r.Host != "" {
		attrs = append(attrs, attribute.String(AttrServerAddress, r.Host))
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		attrs = append(attrs, attribute.String(AttrClientAddress, host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, attribute.String(AttrUserAgent, ua))
	}
	ctx, span := t.tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	var out Context
	propagation.TraceContext{}.Inject(ctx, (*carrier)(&out))
	return ctx, Span{span}, out
}

// FinishRequest ends a span of StartRequest: r's attributes as Finish
// sets them, and the answer's status code. As the conventions say of a
// server span, only a 5xx marks it an error (error.type = the status
// code; r.Err's text, if any, as the status description); a 4xx is the
// client's error, not the bridge's.
func (s Span) FinishRequest(status int, r Result) {
	if s.span == nil {
		return
	}
	s.span.SetAttributes(attribute.Int(AttrHTTPStatusCode, status))
	if status >= 500 {
		s.span.SetAttributes(attribute.String(AttrErrorType, strconv.Itoa(status)))
		desc := http.StatusText(status)
		if r.Err != nil {
			desc = r.Err.Error()
		}
		s.span.SetStatus(codes.Error, desc)
	}
	r.Err = nil // the status decides
	s.Finish(r)
}

// Recording reports whether s is a span that records (tracing is on).
func (s Span) Recording() bool { return s.span != nil }
