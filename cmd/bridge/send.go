package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
)

var sendHelp = help{name: "send", args: "--name N [flags] < payload.json",
	purpose: "make one events-protocol call with the payload from stdin and print the answer envelope; exit 1 on an error answer",
	more:    "The token of a bridge run with --events-auth token or jwt comes from " + config.EnvEventsSecret + ".\n"}

// sendFlags are bridge send's flags.
type sendFlags struct {
	fs                           *flag.FlagSet
	url, name, flowID, id, token *string
	version                      *int
	timeout                      *time.Duration
}

func newSendFlags() sendFlags {
	fs := sendHelp.newFlagSet()
	return sendFlags{
		fs:      fs,
		url:     fs.String("url", "http://localhost:8080/events/", "the events endpoint"),
		name:    fs.String("name", "", "the event's name, e.g. ledger:ledger:create (required)"),
		version: fs.Int("version", 1, "the payload's version"),
		flowID:  fs.String("flow-id", "", "the flow's id (default: a new UUID)"),
		id:      fs.String("id", "", "the session id (default: a new UUID)"),
		token:   fs.String("token", "", "not taken: the token comes from "+config.EnvEventsSecret+", never from a flag"),
		timeout: fs.Duration("timeout", 10*time.Second, "how long to wait for the answer"),
	}
}

// runSend is `bridge send`: one events-protocol call with the payload from
// stdin, printing the answer envelope; exit 1 on an error answer.
func runSend(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newSendFlags()
	fs, url, name, version, flowID, id, tokenFlag, timeout := f.fs, f.url, f.name, f.version, f.flowID, f.id, f.token, f.timeout
	if err := fs.Parse(args); err != nil {
		return sendHelp.parseError(err, fs, stdout, stderr)
	}
	if *tokenFlag != "" {
		return sendHelp.usageError(stderr, "--token is not taken (a secret on the command line shows in ps and shell history): set %s", config.EnvEventsSecret)
	}
	token := os.Getenv(config.EnvEventsSecret) // auth.token, for a bridge run with --events-auth
	if *name == "" || fs.NArg() > 0 {
		return sendHelp.usageError(stderr, "--name is required, and the payload comes on stdin")
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
	if err != nil {
		fmt.Fprintf(stderr, "bridge send: reading the payload: %v\n", err)
		return 1
	}
	var payload json.RawMessage
	if err := json.Unmarshal(raw, &payload); err != nil {
		fmt.Fprintf(stderr, "bridge send: the payload is not JSON: %v\n", err)
		return 1
	}
	opts := []eventsprotocol.SendOption{eventsprotocol.WithTimeout(*timeout)}
	if *flowID != "" {
		opts = append(opts, eventsprotocol.WithFlowID(*flowID))
	}
	if *id != "" {
		opts = append(opts, eventsprotocol.WithID(*id))
	}
	if token != "" {
		opts = append(opts, eventsprotocol.WithAuth(map[string]any{"token": token}))
	}
	resp, err := eventsprotocol.Send(context.Background(), *url, *name, *version, payload, opts...)
	var re *eventsprotocol.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		resp = re.Response
	} else if err != nil {
		fmt.Fprintf(stderr, "bridge send: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(resp)
	if err != nil {
		return 1
	}
	return 0
}
