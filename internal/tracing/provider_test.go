package tracing

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/tracing/tracingtest"
)

func TestTracesURL(t *testing.T) {
	tests := []struct{ endpoint, want, err string }{
		{"http://collector:4318", "http://collector:4318/v1/traces", ""},
		{"http://collector:4318/", "http://collector:4318/v1/traces", ""},
		{"https://otlp.example.com/otlp", "https://otlp.example.com/otlp/v1/traces", ""},
		{"https://otlp.example.com/v1/traces", "https://otlp.example.com/v1/traces", ""},
		{"collector:4318", "", `invalid OTLP endpoint "collector:4318": want an http:// or https:// URL`},
		{"grpc://collector:4317", "", `invalid OTLP endpoint "grpc://collector:4317": want an http:// or https:// URL`},
		{"http://", "", `invalid OTLP endpoint "http://": no host`},
		{"http://c:4318?x=1", "", `invalid OTLP endpoint "http://c:4318?x=1": no user, query or fragment allowed`},
		{"http://c :4318", "", `invalid OTLP endpoint "http://c :4318": parse "http://c :4318": invalid character " " in host name`},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			u, err := Config{Endpoint: tc.endpoint}.TracesURL()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrInvalidEndpoint) {
					t.Fatalf("TracesURL() error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("TracesURL() = %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestStartOff(t *testing.T) {
	p, err := Start(Config{SampleRatio: 1})
	if p != nil || err != nil {
		t.Fatalf("Start without an endpoint = %v, %v; want nil, nil", p, err)
	}
	if p.Tracer() != nil {
		t.Error("a nil Provider's Tracer is not nil")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown of a nil Provider: %v", err)
	}
}

func TestStartRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"plain HTTP not allowed", Config{Endpoint: "http://c:4318", SampleRatio: 1}, "plain HTTP"},
		{"ratio above 1", Config{Endpoint: "https://c", SampleRatio: 1.5}, "between 0 and 1"},
		{"not a URL", Config{Endpoint: "c:4318", SampleRatio: 1}, "invalid OTLP endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Start(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestProviderExportsOnShutdown(t *testing.T) {
	c := tracingtest.NewCollector(t)
	p, err := Start(Config{Endpoint: c.URL, Insecure: true, SampleRatio: 1, Version: "v9.8.7"})
	if err != nil {
		t.Fatal(err)
	}
	_, span, out := p.Tracer().StartDelivery(context.Background(), "webhook", "stripe", Context{TraceParent: validTP})
	span.Finish(Result{Outcome: "published"})
	if n, _ := c.Received(); n != 0 {
		t.Fatalf("%d POSTs before Shutdown; the batcher should hold the span", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	n, body := c.Received()
	if n == 0 {
		t.Fatal("no POST to /v1/traces after Shutdown")
	}
	// The protobuf holds ids as raw bytes and strings as they are: enough
	// to find them without decoding.
	traceID, _ := hex.DecodeString(validTP[3:35])
	spanID, _ := hex.DecodeString(out.TraceParent[36:52])
	for name, want := range map[string][]byte{
		"the trace id": traceID, "the span id": spanID, "service.name": []byte("service.name"),
		"bridge": []byte(ServiceName), "the version": []byte("v9.8.7"), "the span name": []byte("deliver webhook"),
	} {
		if !bytes.Contains(body, want) {
			t.Errorf("the export lacks %s", name)
		}
	}
}

func TestExportFailuresAreLogged(t *testing.T) {
	c := tracingtest.NewCollector(t)
	c.AnswerWith(http.StatusBadRequest) // not retried
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), nil))
	p, err := Start(Config{Endpoint: c.URL, Insecure: true, SampleRatio: 1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	_, span, _ := p.Tracer().StartDelivery(context.Background(), "nats", "stripe", Context{})
	span.Finish(Result{Outcome: "published"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (an export failure is logged, not returned)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `msg="trace export failed; spans dropped"`) {
		t.Errorf("logs lack the export failure:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
