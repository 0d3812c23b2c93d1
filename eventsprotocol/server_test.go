package eventsprotocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// newServer returns a Server built with opts, failing the test otherwise.
func newServer(t *testing.T, opts ...ServerOption) *Server {
	t.Helper()
	srv, err := NewServer(opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return srv
}

// startServer serves h over real HTTP, mounted as the package doc says:
// on /events/ (which takes /events/others too) and /events.
func startServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/events/", h)
	mux.Handle("/events", h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// post sends body to url with the given headers and returns the status
// and the answer's body.
func post(t *testing.T, url, body string, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp.StatusCode, data
}

// echo answers with the request's payload.
func echo(_ context.Context, req *Envelope) (*Envelope, error) { return ResponseFor(req, req.Payload) }

// testServer is a Server with the handlers the server tests call.
func testServer(t *testing.T, opts ...ServerOption) *Server {
	t.Helper()
	srv := newServer(t, opts...)
	srv.HandleFunc("user:name:set", 1, echo)
	srv.HandleFunc("payment:charge:create", 1, echo)
	srv.HandleFunc("user:name:fail", 1, func(context.Context, *Envelope) (*Envelope, error) {
		return nil, errors.New("database password is hunter2")
	})
	srv.HandleFunc("user:name:nothing", 1, func(context.Context, *Envelope) (*Envelope, error) { return nil, nil })
	srv.HandleFunc("user:name:broken", 1, func(_ context.Context, req *Envelope) (*Envelope, error) {
		answer, err := ResponseFor(req, nil)
		answer.Payload = json.RawMessage(`{not json`)
		return answer, err
	})
	return srv
}

func TestServerAnswers(t *testing.T) {
	ts := startServer(t, testServer(t))
	const ids = `"id":"req-id","flowId":"req-flow"`
	tests := []struct {
		name        string
		path        string
		header      http.Header
		body        string
		wantName    string
		wantVersion string // the answer's version as encoded
		wantPayload string // compact JSON
		freshIDs    bool   // badProtocol: new id and flowId instead of the request's
	}{
		{
			name:     "handled, version a number",
			body:     `{"name":"user:name:set","version":1,` + ids + `,"payload":{"name":"Ana"}}`,
			wantName: "user:name:set:response", wantVersion: `1`, wantPayload: `{"name":"Ana"}`,
		},
		{
			name:     "handled, version a string",
			body:     `{"name":"user:name:set","version":"1",` + ids + `,"payload":{"name":"Ana"}}`,
			wantName: "user:name:set:response", wantVersion: `"1"`, wantPayload: `{"name":"Ana"}`,
		},
		{
			name:     "the JavaScript client's request, on /events/others, with a stray charset header",
			path:     "/events/others",
			header:   http.Header{"Content-Type": {"application/json; charset=UTF-8"}, "Charset": {"UTF-8"}},
			body:     jsClientRequest,
			wantName: "payment:charge:create:response", wantVersion: `"1"`, wantPayload: `{"charge_id":"x"}`,
		},
		{
			name:     "no Content-Type at all",
			header:   http.Header{"Content-Type": {"text/plain"}},
			body:     `{"name":"user:name:set","version":1,` + ids + `,"payload":1}`,
			wantName: "user:name:set:response", wantVersion: `1`, wantPayload: `1`,
		},
		{
			name:     "unknown event",
			body:     `{"name":"user:name:get","version":2,` + ids + `,"payload":{}}`,
			wantName: "eventNotFound", wantVersion: `1`,
			wantPayload: `{"code":"NO_EVENT_HANDLER_FOUND","parameters":{"event":"user:name:get","version":2}}`,
		},
		{
			name:     "known name, unknown version given as a string",
			body:     `{"name":"user:name:set","version":"2",` + ids + `,"payload":{}}`,
			wantName: "eventNotFound", wantVersion: `1`,
			wantPayload: `{"code":"NO_EVENT_HANDLER_FOUND","parameters":{"event":"user:name:set","version":2}}`,
		},
		{
			name:     "name breaks the pattern",
			body:     `{"name":"User:Name","version":"3",` + ids + `,"payload":{}}`,
			wantName: "User:Name:bad_request", wantVersion: `"3"`,
			wantPayload: `{"code":"INVALID_EVENT_NAME","parameters":{"name":"User:Name"}}`,
		},
		{
			name:     "identity and auth both carry values",
			body:     `{"name":"user:name:set","version":1,` + ids + `,"payload":{},"identity":{"userId":"u"},"auth":{"token":"t"}}`,
			wantName: "user:name:set:bad_request", wantVersion: `1`,
			wantPayload: `{"code":"IDENTITY_WITH_AUTH","parameters":{}}`,
		},
		{
			name:     "a handler's error, whose text is not sent",
			body:     `{"name":"user:name:fail","version":1,` + ids + `,"payload":{}}`,
			wantName: "user:name:fail:error", wantVersion: `1`,
			wantPayload: `{"code":"UNHANDLED_ERROR","parameters":{}}`,
		},
		{
			name:     "a handler with no answer",
			body:     `{"name":"user:name:nothing","version":1,` + ids + `,"payload":{}}`,
			wantName: "user:name:nothing:error", wantVersion: `1`,
			wantPayload: `{"code":"UNHANDLED_ERROR","parameters":{}}`,
		},
		{
			name:     "a handler's answer that does not encode",
			body:     `{"name":"user:name:broken","version":1,` + ids + `,"payload":{}}`,
			wantName: "user:name:broken:error", wantVersion: `1`,
			wantPayload: `{"code":"UNHANDLED_ERROR","parameters":{}}`,
		},
		{
			name:     "garbage",
			body:     `THIS IS NOT A EVENT`,
			wantName: "badProtocol", wantVersion: `1`, freshIDs: true,
			wantPayload: `{"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"message":"eventsprotocol: envelope is not a JSON object: invalid character 'T' looking for beginning of value"}}`,
		},
		{
			name:     "version of the wrong type",
			body:     `{"name":"user:name:set","version":true,` + ids + `,"payload":{}}`,
			wantName: "badProtocol", wantVersion: `1`, freshIDs: true,
			wantPayload: `{"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"message":"eventsprotocol: envelope: field \"version\" must be a 32-bit integer, as a number (1) or a numeric string (\"1\"), got true"}}`,
		},
	}
	for _, field := range []string{"name", "version", "id", "flowId", "payload"} {
		fields := map[string]any{"name": "user:name:set", "version": 1, "id": "req-id", "flowId": "req-flow", "payload": map[string]any{}}
		delete(fields, field)
		body, _ := json.Marshal(fields)
		tests = append(tests, struct {
			name        string
			path        string
			header      http.Header
			body        string
			wantName    string
			wantVersion string
			wantPayload string
			freshIDs    bool
		}{
			name: "missing " + field, body: string(body),
			wantName: "badProtocol", wantVersion: `1`, freshIDs: true,
			wantPayload: `{"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"missingProperty":"` + field + `"}}`,
		})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/events/"
			}
			status, data := post(t, ts.URL+path, tc.body, tc.header)
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", status, data)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatalf("answer %s: %v", data, err)
			}
			answer, err := Parse(data)
			if err != nil {
				t.Fatalf("the answer is not an envelope: %v\n%s", err, data)
			}
			if answer.Name != tc.wantName {
				t.Errorf("name %q, want %q", answer.Name, tc.wantName)
			}
			if string(raw["version"]) != tc.wantVersion {
				t.Errorf("version %s, want %s", raw["version"], tc.wantVersion)
			}
			if string(answer.Payload) != tc.wantPayload {
				t.Errorf("payload\n%s\nwant\n%s", answer.Payload, tc.wantPayload)
			}
			for _, m := range []string{"identity", "auth", "metadata"} {
				if string(raw[m]) != "{}" {
					t.Errorf("%s = %s, want {}", m, raw[m])
				}
			}
			req, _ := Parse([]byte(tc.body))
			switch {
			case tc.freshIDs:
				if uuid.Validate(answer.ID) != nil || uuid.Validate(answer.FlowID) != nil || answer.ID == answer.FlowID {
					t.Errorf("id %q and flowId %q, want two fresh UUIDs", answer.ID, answer.FlowID)
				}
			case answer.ID != req.ID || answer.FlowID != req.FlowID:
				t.Errorf("id %q, flowId %q; want the request's %q, %q", answer.ID, answer.FlowID, req.ID, req.FlowID)
			}
		})
	}
}

func TestServerMethods(t *testing.T) {
	ts := startServer(t, testServer(t))
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			req, _ := http.NewRequest(method, ts.URL+"/events/", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
				t.Errorf("%s: status %d, Allow %q; want 405 and POST", method, resp.StatusCode, resp.Header.Get("Allow"))
			}
		})
	}
}

func TestServerBodyLimit(t *testing.T) {
	small := `{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":{}}`
	tests := []struct {
		name        string
		opts        []ServerOption
		body        string
		wantName    string
		wantMessage string
	}{
		{name: "under a set limit", opts: []ServerOption{WithMaxBodyBytes(int64(len(small)))}, body: small, wantName: "user:name:set:response"},
		{name: "over a set limit", opts: []ServerOption{WithMaxBodyBytes(int64(len(small) - 1))}, body: small, wantName: "badProtocol",
			wantMessage: "request body exceeds 70 bytes"},
		{name: "over the default limit", body: `{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`,
			wantName: "badProtocol", wantMessage: "request body exceeds 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, testServer(t, tc.opts...))
			status, data := post(t, ts.URL+"/events/", tc.body, nil)
			answer, err := Parse(data)
			if status != http.StatusOK || err != nil {
				t.Fatalf("status %d, %v; want 200 and an envelope", status, err)
			}
			if answer.Name != tc.wantName {
				t.Fatalf("name %q, want %q", answer.Name, tc.wantName)
			}
			if tc.wantMessage != "" {
				want := `{"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"message":"` + tc.wantMessage + `"}}`
				if string(answer.Payload) != want {
					t.Errorf("payload %s, want %s", answer.Payload, want)
				}
			}
		})
	}
}

func TestServerRoutes(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("route:show", 1, func(ctx context.Context, req *Envelope) (*Envelope, error) {
		r, ok := HTTPRequest(ctx)
		if !ok {
			return nil, errors.New("no HTTP request in the context")
		}
		return ResponseFor(req, r.URL.Path)
	})
	ts := startServer(t, srv)
	for _, path := range []string{"/events/", "/events/others", "/events"} {
		t.Run(path, func(t *testing.T) {
			_, data := post(t, ts.URL+path, `{"name":"route:show","version":1,"id":"i","flowId":"f","payload":{}}`, nil)
			answer, err := Parse(data)
			if err != nil || answer.Name != "route:show:response" || string(answer.Payload) != `"`+path+`"` {
				t.Errorf("POST %s: %v, %s; want route:show:response with the path", path, err, data)
			}
		})
	}
	if _, ok := HTTPRequest(context.Background()); ok {
		t.Error("HTTPRequest found a request in a bare context")
	}
}

func TestServerFallback(t *testing.T) {
	var fellBack []string
	fallback := HandlerFunc(func(_ context.Context, req *Envelope) (*Envelope, error) {
		fellBack = append(fellBack, req.Name+" v"+req.Version.String())
		if req.Name == "bridge:unmapped" {
			return EventNotFoundFor(req), nil
		}
		return ResponseFor(req, "fallback")
	})
	srv := newServer(t, WithFallback(fallback))
	srv.HandleFunc("user:name:set", 1, echo)
	ts := startServer(t, srv)
	tests := []struct {
		body, wantName string
	}{
		{`{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":"own"}`, "user:name:set:response"},
		{`{"name":"user:name:set","version":2,"id":"i","flowId":"f","payload":{}}`, "user:name:set:response"},
		{`{"name":"order:pay","version":"1","id":"i","flowId":"f","payload":{}}`, "order:pay:response"},
		{`{"name":"bridge:unmapped","version":1,"id":"i","flowId":"f","payload":{}}`, "eventNotFound"},
		{`{"name":"Bad","version":1,"id":"i","flowId":"f","payload":{}}`, "Bad:bad_request"},
		{`{"name":"order:pay","version":1,"id":"i","flowId":"f","payload":{},"identity":{"u":1},"auth":{"t":1}}`, "order:pay:bad_request"},
		{`{"name":"order:pay"}`, "badProtocol"},
	}
	for _, tc := range tests {
		_, data := post(t, ts.URL+"/events/", tc.body, nil)
		if answer, err := Parse(data); err != nil || answer.Name != tc.wantName {
			t.Errorf("POST %s: answer %s, want %s", tc.body, data, tc.wantName)
		}
	}
	want := []string{"user:name:set v2", "order:pay v1", "bridge:unmapped v1"}
	if strings.Join(fellBack, ",") != strings.Join(want, ",") {
		t.Errorf("the fallback served %q, want %q", fellBack, want)
	}
}

func TestServerProcess(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("queue:message:take", 3, func(ctx context.Context, req *Envelope) (*Envelope, error) {
		_, viaHTTP := HTTPRequest(ctx)
		return ResponseFor(req, viaHTTP)
	})
	answer := srv.Process(context.Background(), []byte(`{"name":"queue:message:take","version":"3","id":"i","flowId":"f","payload":{}}`))
	if answer.Name != "queue:message:take:response" || answer.Version != StringVersion(3) || string(answer.Payload) != "false" {
		t.Errorf("Process = %+v, want the response, version \"3\", and no HTTP request", answer)
	}
}

func TestServerLogsHandlerErrors(t *testing.T) {
	var logs bytes.Buffer
	srv := testServer(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	srv.Process(context.Background(), []byte(`{"name":"user:name:fail","version":1,"id":"i","flowId":"flow-7","payload":{}}`))
	for _, want := range []string{"events handler failed", "event=user:name:fail", "flowId=flow-7", "hunter2"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}

func TestServerHandlePanics(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("user:name:set", 1, echo)
	srv.HandleFunc("user:name:set", 2, echo) // another version is another handler
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"invalid name", func() { srv.HandleFunc("User", 1, echo) }, `invalid event name "User"`},
		{"nil handler", func() { srv.Handle("user:name:get", 1, nil) }, "nil handler"},
		{"nil function", func() { srv.HandleFunc("user:name:get", 1, nil) }, "nil function"},
		{"duplicate", func() { srv.HandleFunc("user:name:set", 1, echo) }, "already registered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestNewServerOptions(t *testing.T) {
	_, err := NewServer(WithMaxBodyBytes(0), WithFallback(nil), WithLogger(nil))
	if !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("NewServer = %v, want ErrInvalidOption", err)
	}
	for _, want := range []string{"WithMaxBodyBytes(0)", "WithFallback(nil)", "WithLogger(nil)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %s", err, want)
		}
	}
}
