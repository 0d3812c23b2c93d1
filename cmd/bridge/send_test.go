package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

func TestSendCommand(t *testing.T) {
	srv, err := eventsprotocol.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleFunc("ledger:ledger:create", 1, func(_ context.Context, req *eventsprotocol.Envelope) (*eventsprotocol.Envelope, error) {
		if req.FlowID != "f-1" || req.Auth["token"] != "tok" {
			return eventsprotocol.ErrorFor(req, eventsprotocol.SuffixUnauthorized, eventsprotocol.CodeUnauthorized, nil)
		}
		return eventsprotocol.ResponseFor(req, map[string]any{"ok": true})
	})
	hs := httptest.NewServer(srv)
	defer hs.Close()

	// The token comes from the environment, never from a flag.
	if code, _, errOut := runTool(t, `{}`, "send", "--url", hs.URL+"/events/", "--name", "ledger:ledger:create", "--token", "tok"); code != 2 ||
		!strings.Contains(errOut, "BRIDGE_EVENTS_SECRET") {
		t.Fatalf("--token: exit %d %s", code, errOut)
	}
	t.Setenv("BRIDGE_EVENTS_SECRET", "tok")
	code, out, errOut := runTool(t, `{"id": "x"}`, "send", "--url", hs.URL+"/events/", "--name", "ledger:ledger:create", "--flow-id", "f-1")
	var answer map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &answer) != nil || answer["name"] != "ledger:ledger:create:response" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("BRIDGE_EVENTS_SECRET", "")
	code, out, _ = runTool(t, `{}`, "send", "--url", hs.URL+"/events/", "--name", "ledger:ledger:create")
	if code != 1 || !strings.Contains(out, "ledger:ledger:create:unauthorized") {
		t.Fatalf("error answer: exit %d\n%s", code, out)
	}
	code, out, _ = runTool(t, `{}`, "send", "--url", hs.URL+"/events/", "--name", "ledger:ledger:delete")
	if code != 1 || !strings.Contains(out, "eventNotFound") {
		t.Fatalf("event not found: exit %d\n%s", code, out)
	}
	if code, _, errOut = runTool(t, `{`, "send", "--url", hs.URL, "--name", "a:b"); code != 1 || !strings.Contains(errOut, "not JSON") {
		t.Fatalf("bad payload: exit %d %s", code, errOut)
	}
	if code, _, _ = runTool(t, `{}`, "send"); code != 2 {
		t.Fatalf("no name: exit %d", code)
	}
}
