package eventsprotocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// kinds lists the typed error kinds err matches with errors.As.
func kinds(err error) []string {
	var (
		serverErr    *ServerError
		badRequest   *BadRequestError
		unauthorized *UnauthorizedError
		notFound     *NotFoundError
		forbidden    *ForbiddenError
		failedDep    *FailedDependencyError
		eventMissing *EventNotFoundError
		badProtocol  *BadProtocolError
	)
	var got []string
	for _, k := range []struct {
		name   string
		target any
	}{
		{"error", &serverErr}, {"bad_request", &badRequest}, {"unauthorized", &unauthorized},
		{"not_found", &notFound}, {"forbidden", &forbidden}, {"failed_dependency", &failedDep},
		{"eventNotFound", &eventMissing}, {"badProtocol", &badProtocol},
	} {
		if errors.As(err, k.target) {
			got = append(got, k.name)
		}
	}
	return got
}

// tamper passes each request to h after f has rewritten its body, as a
// broken client or proxy would.
func tamper(h http.Handler, f func(body []byte) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(f(body)))
		h.ServeHTTP(w, r)
	})
}

// withoutField removes a field from a JSON object.
func withoutField(field string) func([]byte) []byte {
	return func(body []byte) []byte {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		delete(m, field)
		out, _ := json.Marshal(m)
		return out
	}
}

// failing answers "order:pay" with the error whose suffix the payload names.
func failing(_ context.Context, req *Envelope) (*Envelope, error) {
	var in struct{ Suffix Suffix }
	if err := req.DecodePayload(&in); err != nil {
		return nil, err
	}
	return ErrorFor(req, in.Suffix, "CODE_"+strings.ToUpper(string(in.Suffix)), map[string]any{"suffix": in.Suffix, "n": 7})
}

func TestClientErrorAnswers(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("order:pay", 1, failing)
	srv.HandleFunc("order:crash", 1, func(context.Context, *Envelope) (*Envelope, error) { return nil, errors.New("boom") })
	plain := startServer(t, srv)

	tests := []struct {
		name       string
		url        string
		event      string
		payload    any
		opts       []SendOption
		wantKind   string
		wantSuffix Suffix
		wantCode   string
		wantParams map[string]any
	}{
		{name: "error", event: "order:pay", payload: map[string]any{"suffix": "error"},
			wantKind: "error", wantSuffix: SuffixError, wantCode: "CODE_ERROR", wantParams: map[string]any{"suffix": "error", "n": json.Number("7")}},
		{name: "bad_request", event: "order:pay", payload: map[string]any{"suffix": "bad_request"},
			wantKind: "bad_request", wantSuffix: SuffixBadRequest, wantCode: "CODE_BAD_REQUEST", wantParams: map[string]any{"suffix": "bad_request", "n": json.Number("7")}},
		{name: "unauthorized", event: "order:pay", payload: map[string]any{"suffix": "unauthorized"},
			wantKind: "unauthorized", wantSuffix: SuffixUnauthorized, wantCode: "CODE_UNAUTHORIZED", wantParams: map[string]any{"suffix": "unauthorized", "n": json.Number("7")}},
		{name: "not_found", event: "order:pay", payload: map[string]any{"suffix": "not_found"},
			wantKind: "not_found", wantSuffix: SuffixNotFound, wantCode: "CODE_NOT_FOUND", wantParams: map[string]any{"suffix": "not_found", "n": json.Number("7")}},
		{name: "forbidden", event: "order:pay", payload: map[string]any{"suffix": "forbidden"},
			wantKind: "forbidden", wantSuffix: SuffixForbidden, wantCode: "CODE_FORBIDDEN", wantParams: map[string]any{"suffix": "forbidden", "n": json.Number("7")}},
		{name: "failed_dependency", event: "order:pay", payload: map[string]any{"suffix": "failed_dependency"},
			wantKind: "failed_dependency", wantSuffix: SuffixFailedDependency, wantCode: "CODE_FAILED_DEPENDENCY", wantParams: map[string]any{"suffix": "failed_dependency", "n": json.Number("7")}},
		{name: "a handler's Go error", event: "order:crash", payload: map[string]any{},
			wantKind: "error", wantSuffix: SuffixError, wantCode: CodeUnhandledError, wantParams: map[string]any{}},
		{name: "eventNotFound", event: "order:refund", payload: map[string]any{},
			wantKind: "eventNotFound", wantCode: CodeNoEventHandlerFound, wantParams: map[string]any{"event": "order:refund", "version": json.Number("1")}},
		{name: "bad name", event: "Order:Pay", payload: map[string]any{},
			wantKind: "bad_request", wantSuffix: SuffixBadRequest, wantCode: CodeInvalidEventName, wantParams: map[string]any{"name": "Order:Pay"}},
		{name: "identity and auth both set, past the client's check",
			url: startServer(t, tamper(srv, func(body []byte) []byte {
				return bytes.Replace(body, []byte(`"identity":{}`), []byte(`"identity":{"userId":"u1"}`), 1)
			})).URL + "/events/",
			event: "order:pay", payload: map[string]any{"suffix": "error"}, opts: []SendOption{WithAuth(map[string]any{"token": "t"})},
			wantKind: "bad_request", wantSuffix: SuffixBadRequest, wantCode: CodeIdentityWithAuth, wantParams: map[string]any{}},
		{name: "badProtocol for garbage",
			url:   startServer(t, tamper(srv, func([]byte) []byte { return []byte("\x00garbage") })).URL + "/events/",
			event: "order:pay", payload: map[string]any{},
			wantKind: "badProtocol", wantCode: CodeInvalidCommunicationProtocol,
			wantParams: map[string]any{"message": `eventsprotocol: envelope is not a JSON object: invalid character '\x00' looking for beginning of value`}},
	}
	for _, field := range []string{"name", "version", "id", "flowId", "payload"} {
		tests = append(tests, struct {
			name       string
			url        string
			event      string
			payload    any
			opts       []SendOption
			wantKind   string
			wantSuffix Suffix
			wantCode   string
			wantParams map[string]any
		}{
			name:  "badProtocol for a missing " + field,
			url:   startServer(t, tamper(srv, withoutField(field))).URL + "/events/others",
			event: "order:pay", payload: map[string]any{},
			wantKind: "badProtocol", wantCode: CodeInvalidCommunicationProtocol, wantParams: map[string]any{"missingProperty": field},
		})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = plain.URL + "/events/"
			}
			c := &Client{URL: url}
			opts := append([]SendOption{WithID("session-1"), WithFlowID("flow-1")}, tc.opts...)
			resp, err := c.Send(context.Background(), tc.event, 1, tc.payload, opts...)
			if err == nil {
				t.Fatalf("Send = %+v, want an error", resp)
			}
			if got := kinds(err); len(got) != 1 || got[0] != tc.wantKind {
				t.Fatalf("Send error %v matches kinds %v, want only %s", err, got, tc.wantKind)
			}
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("Send error %v is not a *ResponseError", err)
			}
			if re.Suffix != tc.wantSuffix || re.Code != tc.wantCode {
				t.Errorf("suffix %q, code %q; want %q, %q", re.Suffix, re.Code, tc.wantSuffix, tc.wantCode)
			}
			if !equalJSON(re.Parameters, tc.wantParams) {
				t.Errorf("parameters %v, want %v", re.Parameters, tc.wantParams)
			}
			if !strings.Contains(err.Error(), re.Response.Name) || !strings.Contains(err.Error(), tc.wantCode) {
				t.Errorf("message %q lacks the answer's name or code", err)
			}
			switch tc.wantKind {
			case "badProtocol":
				if re.Response.ID == "session-1" || re.Response.Version != IntVersion(1) {
					t.Errorf("badProtocol answer %+v, want a fresh id and version 1", re.Response)
				}
			case "eventNotFound":
				if re.Response.ID != "session-1" || re.Response.FlowID != "flow-1" || re.Response.Version != IntVersion(1) {
					t.Errorf("eventNotFound answer %+v, want the request's id and flowId and version 1", re.Response)
				}
			default:
				want := tc.event + ":" + string(tc.wantSuffix)
				if re.Response.Name != want || re.Response.ID != "session-1" || re.Response.FlowID != "flow-1" || re.Response.Version != IntVersion(1) {
					t.Errorf("answer %+v, want %s with the request's version, id and flowId", re.Response, want)
				}
			}
		})
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestClientUnknownSuffix(t *testing.T) {
	ts := startServer(t, oddServer(func(req *Envelope) *Envelope {
		return &Envelope{Name: req.Name + ":teapot", Version: req.Version, ID: req.ID, FlowID: req.FlowID, Payload: json.RawMessage(`[1]`)}
	}))
	_, err := Send(context.Background(), ts.URL+"/events/", "tea:brew", 1, nil)
	var re *ResponseError
	if !errors.As(err, &re) || re.Suffix != "teapot" || re.Code != "" || len(kinds(err)) != 0 {
		t.Fatalf("Send = %v, want a plain *ResponseError with suffix teapot", err)
	}
	if want := "eventsprotocol: answer tea:brew:teapot: payload [1]"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

// oddServer serves answer(request) for every parsed request, without the
// Server's rules: a stand-in for a server that answers oddly.
func oddServer(answer func(*Envelope) *Envelope) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := Parse(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := json.Marshal(answer(req))
		_, _ = w.Write(data)
	})
}

func TestClientIdentityWithAuthRefused(t *testing.T) {
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	t.Cleanup(ts.Close)
	_, err := Send(context.Background(), ts.URL, "user:name:set", 1, nil,
		WithIdentity(map[string]any{"userId": "u"}), WithAuth(map[string]any{"token": "t"}))
	var both *IdentityWithAuthError
	if !errors.As(err, &both) || calls.Load() != 0 {
		t.Errorf("Send = %v after %d calls, want an *IdentityWithAuthError and no call", err, calls.Load())
	}
}

func TestClientVersionForms(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("user:name:set", 1, echo)
	srv.HandleFunc("payment:charge:create", 1, echo)
	ts := startServer(t, srv)
	js, err := Parse([]byte(jsClientRequest))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		url  string
		req  *Envelope
	}{
		{"a number", "/events/", &Envelope{Name: "user:name:set", Version: IntVersion(1), ID: "i", FlowID: "f", Payload: json.RawMessage(`{}`)}},
		{"a string", "/events/", &Envelope{Name: "user:name:set", Version: StringVersion(1), ID: "i", FlowID: "f", Payload: json.RawMessage(`{}`)}},
		{"the JavaScript client's request", "/events/others", js},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{URL: ts.URL + tc.url}
			resp, err := c.Do(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Name != tc.req.Name+":response" || resp.Version != tc.req.Version ||
				resp.ID != tc.req.ID || resp.FlowID != tc.req.FlowID || !bytes.Equal(resp.Payload, tc.req.Payload) {
				t.Errorf("Do = %+v, want the response carrying the request's version %#v, id, flowId and payload", resp, tc.req.Version)
			}
		})
	}
}

func TestClientSend(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []*Envelope
	)
	srv := newServer(t)
	srv.HandleFunc("user:name:set", 4, func(ctx context.Context, req *Envelope) (*Envelope, error) {
		r, _ := HTTPRequest(ctx)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			return nil, errors.New("Content-Type " + ct)
		}
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		return ResponseFor(req, map[string]string{"greeting": "hi"})
	})
	ts := startServer(t, srv)
	ctx := context.Background()

	resp, err := Send(ctx, ts.URL+"/events/", "user:name:set", 4, struct{ Name string }{"Ana"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if resp.Name != "user:name:set:response" || resp.Version != IntVersion(4) || string(resp.Payload) != `{"greeting":"hi"}` {
		t.Errorf("Send = %+v", resp)
	}
	_, err = Send(ctx, ts.URL+"/events/", "user:name:set", 4, nil,
		WithID("s"), WithFlowID("f"), WithIdentity(map[string]any{"userId": "u"}), WithMetadata(map[string]any{"origin": "test"}))
	if err != nil {
		t.Fatalf("Send with options: %v", err)
	}
	if len(seen) != 2 {
		t.Fatalf("the server saw %d requests, want 2", len(seen))
	}
	first, second := seen[0], seen[1]
	if uuid.Validate(first.ID) != nil || uuid.Validate(first.FlowID) != nil || first.ID == first.FlowID {
		t.Errorf("default id %q and flowId %q, want two fresh UUIDs", first.ID, first.FlowID)
	}
	if string(first.Payload) != `{"Name":"Ana"}` || first.Version != IntVersion(4) {
		t.Errorf("first request %+v", first)
	}
	if second.ID != "s" || second.FlowID != "f" || second.Identity["userId"] != "u" || second.Metadata["origin"] != "test" ||
		second.HasAuth() || string(second.Payload) != "null" {
		t.Errorf("second request %+v, want the options' values", second)
	}
}

func TestClientConcurrent(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("user:name:set", 1, echo)
	c := &Client{URL: startServer(t, srv).URL + "/events/"}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			flow := uuid.NewString()
			resp, err := c.Send(context.Background(), "user:name:set", 1, i, WithFlowID(flow))
			if err != nil || resp.FlowID != flow {
				t.Errorf("Send %d = %+v, %v; want the flow %s back", i, resp, err, flow)
			}
		})
	}
	wg.Wait()
}

func TestClientTimeout(t *testing.T) {
	srv := newServer(t)
	srv.HandleFunc("slow:call", 1, func(ctx context.Context, req *Envelope) (*Envelope, error) {
		<-ctx.Done() // the client gave up
		return nil, ctx.Err()
	})
	url := startServer(t, srv).URL + "/events/"
	tests := []struct {
		name   string
		client *Client
		opts   []SendOption
	}{
		{"WithTimeout", &Client{URL: url}, []SendOption{WithTimeout(20 * time.Millisecond)}},
		{"Client.Timeout", &Client{URL: url, Timeout: 20 * time.Millisecond}, nil},
		{"WithTimeout over Client.Timeout", &Client{URL: url, Timeout: time.Hour}, []SendOption{WithTimeout(20 * time.Millisecond)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.Send(context.Background(), "slow:call", 1, nil, tc.opts...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send = %v, want context.DeadlineExceeded", err)
			}
		})
	}
	_, err := Send(context.Background(), url, "slow:call", 1, nil, WithTimeout(-time.Second))
	if !errors.Is(err, ErrInvalidOption) {
		t.Errorf("Send with a negative timeout = %v, want ErrInvalidOption", err)
	}
}

func TestClientTransportErrors(t *testing.T) {
	reply := func(status int, body string) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	tests := []struct {
		name  string
		c     *Client
		check func(error) bool
		want  string
	}{
		{"a proxy's 502", &Client{URL: reply(http.StatusBadGateway, "<html>bad gateway</html>")},
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.StatusCode == 502 }, "HTTP 502"},
		{"200 but not an envelope", &Client{URL: reply(http.StatusOK, "ok")},
			func(err error) bool { var m *MalformedError; return errors.As(err, &m) }, "answer to \"user:name:set\""},
		{"200 but a field missing", &Client{URL: reply(http.StatusOK, `{"name":"user:name:set:response","version":1,"id":"i","payload":{}}`)},
			func(err error) bool { var m *MissingFieldError; return errors.As(err, &m) && m.Field == "flowId" }, `"flowId"`},
		{"an answer over the limit", &Client{URL: reply(http.StatusOK, strings.Repeat(" ", 100)), MaxResponseBytes: 99},
			func(err error) bool { return err != nil }, "exceeds 99 bytes"},
		{"nobody listening", &Client{URL: "http://127.0.0.1:1/events/"},
			func(err error) bool { return err != nil }, "sending \"user:name:set\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Send(context.Background(), "user:name:set", 1, nil)
			if !tc.check(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Send = %v, want an error of the right type containing %q", err, tc.want)
			}
		})
	}
}

func TestErrorFor(t *testing.T) {
	req := &Envelope{Name: "user:name:set", Version: StringVersion(2), ID: "i", FlowID: "f", Payload: json.RawMessage(`{}`)}
	for _, bad := range []Suffix{SuffixResponse, "", "teapot"} {
		if _, err := ErrorFor(req, bad, "X", nil); err == nil {
			t.Errorf("ErrorFor(%q) succeeded, want an error", bad)
		}
	}
	if _, err := ResponseFor(req, func() {}); err == nil {
		t.Error("ResponseFor(a func) succeeded, want an error")
	}
	answer, err := ErrorFor(req, SuffixForbidden, "NOT_YOURS", map[string]any{"html": "<b>"})
	if err != nil || answer.Name != "user:name:set:forbidden" || answer.Version != StringVersion(2) ||
		string(answer.Payload) != `{"code":"NOT_YOURS","parameters":{"html":"<b>"}}` {
		t.Errorf("ErrorFor = %+v, %v", answer, err)
	}
	if err := CheckResponse(answer); len(kinds(err)) != 1 || kinds(err)[0] != "forbidden" {
		t.Errorf("CheckResponse = %v, want a *ForbiddenError", err)
	}
}
