package eventsprotocol_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

// greet answers user:name:set with a greeting, or bad_request when the
// payload has no name.
func greet(ctx context.Context, req *eventsprotocol.Envelope) (*eventsprotocol.Envelope, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := req.DecodePayload(&in); err != nil || in.Name == "" {
		return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixBadRequest, "NAME_REQUIRED",
			map[string]any{"field": "payload.name"})
	}
	return eventsprotocol.ResponseFor(req, map[string]string{"greeting": "hi " + in.Name})
}

// startEvents serves a Server with greet on /events/, as a service would,
// and returns its events URL and a function to stop it.
func startEvents(opts ...eventsprotocol.ServerOption) (string, func()) {
	srv, err := eventsprotocol.NewServer(opts...)
	if err != nil {
		panic(err)
	}
	srv.HandleFunc("user:name:set", 1, greet)
	mux := http.NewServeMux()
	mux.Handle("/events/", srv) // serves /events/ and /events/others
	ts := httptest.NewServer(mux)
	return ts.URL + "/events/", ts.Close
}

// A service answers an event; a client sends it and reads the answer.
func Example() {
	url, stop := startEvents()
	defer stop()

	resp, err := eventsprotocol.Send(context.Background(), url, "user:name:set", 1,
		map[string]string{"name": "Ana"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Name, resp.Version, string(resp.Payload))
	// Output: user:name:set:response 1 {"greeting":"hi Ana"}
}

// Error answers come back as typed errors, one type per suffix.
func ExampleSend_errorAnswer() {
	url, stop := startEvents()
	defer stop()

	_, err := eventsprotocol.Send(context.Background(), url, "user:name:set", 1, map[string]string{})
	var bad *eventsprotocol.BadRequestError
	if errors.As(err, &bad) {
		fmt.Println(bad.Response.Name, bad.Code, bad.Parameters["field"])
	}
	// Output: user:name:set:bad_request NAME_REQUIRED payload.name
}

// An event that no handler takes is answered eventNotFound.
func ExampleEventNotFoundError() {
	url, stop := startEvents()
	defer stop()

	_, err := eventsprotocol.Send(context.Background(), url, "user:name:get", 2, nil)
	var notFound *eventsprotocol.EventNotFoundError
	if errors.As(err, &notFound) {
		fmt.Println(notFound.Code, notFound.Parameters["event"], notFound.Parameters["version"])
	}
	// Any error answer is also a *ResponseError.
	var answer *eventsprotocol.ResponseError
	fmt.Println(errors.As(err, &answer), answer.Response.Name)
	// Output:
	// NO_EVENT_HANDLER_FOUND user:name:get 2
	// true eventNotFound
}

// A Client holds the endpoint, the *http.Client and a timeout. Do sends an
// envelope as built, here with its version as a string, which the answer
// keeps.
func ExampleClient_Do() {
	url, stop := startEvents()
	defer stop()

	c := &eventsprotocol.Client{URL: url, HTTPClient: http.DefaultClient, Timeout: 5 * time.Second}
	resp, err := c.Do(context.Background(), &eventsprotocol.Envelope{
		Name:    "user:name:set",
		Version: eventsprotocol.StringVersion(1),
		ID:      "session-1",
		FlowID:  "flow-1",
		Payload: []byte(`{"name":"Bia"}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Name, resp.Version, "as a string:", resp.Version.IsString(), resp.ID, resp.FlowID)
	// Output: user:name:set:response 1 as a string: true session-1 flow-1
}

// The server answers every request with HTTP 200 and an envelope; the
// version comes back in the form the request sent it.
func ExampleServer() {
	url, stop := startEvents()
	defer stop()

	for _, body := range []string{
		`{"name":"user:name:set","version":"1","id":"s","flowId":"f","payload":{"name":"Ana"},"identity":{},"auth":{}}`,
		`{"name":"user:name:set","version":1,"id":"s","flowId":"f","payload":{"name":"Ana"},"identity":{"userId":"u"},"auth":{"token":"t"}}`,
		`{"name":"User:Name:Set","version":1,"id":"s","flowId":"f","payload":{}}`,
		`{"name":"user:name:set","version":1,"id":"s","payload":{}}`,
	} {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if env, err := eventsprotocol.Parse(answer); err == nil && env.Name == eventsprotocol.NameBadProtocol {
			fmt.Println(resp.StatusCode, env.Name, string(env.Payload)) // its id and flowId are fresh
			continue
		}
		fmt.Println(resp.StatusCode, string(answer))
	}
	// Output:
	// 200 {"name":"user:name:set:response","version":"1","id":"s","flowId":"f","payload":{"greeting":"hi Ana"},"identity":{},"auth":{},"metadata":{}}
	// 200 {"name":"user:name:set:bad_request","version":1,"id":"s","flowId":"f","payload":{"code":"IDENTITY_WITH_AUTH","parameters":{}},"identity":{},"auth":{},"metadata":{}}
	// 200 {"name":"User:Name:Set:bad_request","version":1,"id":"s","flowId":"f","payload":{"code":"INVALID_EVENT_NAME","parameters":{"name":"User:Name:Set"}},"identity":{},"auth":{},"metadata":{}}
	// 200 badProtocol {"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"missingProperty":"flowId"}}
}

// A fallback takes every valid request that no registered handler takes:
// the way for a server that routes by name itself.
func ExampleWithFallback() {
	routes := map[string]bool{"payment:charge:create": true}
	fallback := eventsprotocol.HandlerFunc(func(ctx context.Context, req *eventsprotocol.Envelope) (*eventsprotocol.Envelope, error) {
		if !routes[req.Name] {
			return eventsprotocol.EventNotFoundFor(req), nil
		}
		return eventsprotocol.ResponseFor(req, map[string]string{"routed": req.Name})
	})
	url, stop := startEvents(eventsprotocol.WithFallback(fallback))
	defer stop()

	ctx := context.Background()
	resp, _ := eventsprotocol.Send(ctx, url, "payment:charge:create", 1, nil)
	fmt.Println(resp.Name, string(resp.Payload))
	_, err := eventsprotocol.Send(ctx, url, "payment:charge:refund", 1, nil)
	fmt.Println(err)
	// Output:
	// payment:charge:create:response {"routed":"payment:charge:create"}
	// eventsprotocol: answer eventNotFound: NO_EVENT_HANDLER_FOUND {"event":"payment:charge:refund","version":1}
}

// Parse reads what the published clients send: here the JavaScript
// client's request, with its version as a string and an empty identity
// beside its auth.
func ExampleParse() {
	req, err := eventsprotocol.Parse([]byte(`{"name":"payment:charge:create","version":"1",
		"payload":{"charge_id":"x"},"flowId":"df9bf118","id":"2947caab",
		"auth":{"token":null,"x-sid":"d98d2642"},"metadata":{"origin":"web"},"identity":{}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Name, req.Version.Int(), req.Version.IsString(), string(req.Payload))
	fmt.Println("identity:", req.HasIdentity(), "auth:", req.HasAuth(), "valid:", req.Validate() == nil)

	_, err = eventsprotocol.Parse([]byte(`{"name":"payment:charge:create","version":1,"id":"i","payload":{}}`))
	var missing *eventsprotocol.MissingFieldError
	fmt.Println(errors.As(err, &missing), missing.Field)
	// Output:
	// payment:charge:create 1 true {"charge_id":"x"}
	// identity: false auth: true valid: true
	// true flowId
}

func ExampleValidateName() {
	for _, name := range []string{"user:name:set", "event:example", "user:name:set:bad_request", "User:name"} {
		fmt.Println(name, "=>", eventsprotocol.ValidateName(name))
	}
	// Output:
	// user:name:set => <nil>
	// event:example => <nil>
	// user:name:set:bad_request => eventsprotocol: envelope: field "name": invalid event name "user:name:set:bad_request": part 4 "bad_request" must be lower-case letters only (parts after the third take no '_')
	// User:name => eventsprotocol: envelope: field "name": invalid event name "User:name": part 1 "User" must be lower-case letters and '_', got 'U'
}
