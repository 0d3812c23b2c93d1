package main

import (
	"bytes"
	"strings"
	"testing"
)

// Help goes to stdout and exits 0; a mistyped command or flag is answered
// with what was probably meant.
func TestHelpAndSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		out, err   string // in stdout, in stderr
		emptyError bool   // nothing on stderr
	}{
		{args: []string{"help", "check"}, code: 0, out: "bridge check: ", emptyError: true},
		{args: []string{"check", "-h"}, code: 0, out: "--mappings DIR", emptyError: true},
		{args: []string{"run", "--help"}, code: 0, out: "BRIDGE_NATS_URL", emptyError: true},
		{args: []string{"help", "dlq"}, code: 0, out: "bridge dlq list", emptyError: true},
		{args: []string{"chek"}, code: 2, err: `unknown command "chek" (did you mean "check"?)`},
		{args: []string{"catlog"}, code: 2, err: `did you mean "catalog"?`},
		{args: []string{"frobnicate"}, code: 2, err: `unknown command "frobnicate"`},
		{args: []string{"check", "--mapings", "x"}, code: 2, err: "did you mean --mappings?"},
		{args: []string{"run", "--nats-ulr", "x"}, code: 2, err: "did you mean --nats-url?"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, nil, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) ||
			(tc.emptyError && errOut.Len() > 0) {
			t.Errorf("bridge %v: exit %d\nstdout: %s\nstderr: %s", tc.args, code, out.String(), errOut.String())
		}
	}
	if strings.Contains(runOut(t, "frobnicate"), "did you mean") {
		t.Error("a command near nothing got a suggestion")
	}
}

func runOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	run(args, nil, &out, &errOut)
	return out.String() + errOut.String()
}
