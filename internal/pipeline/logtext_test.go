package pipeline

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/transform"
)

func TestLogText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`minorUnits: "4242 4242 4242 4242" is not a decimal amount`, `minorUnits: "…" is not a decimal amount`},
		{`/data/email: 'ana@example.com' does not match pattern '^x$'`, `/data/email: "…" does not match pattern "…"`},
		{`escaped "a \"quoted\" b" end`, `escaped "…" end`},
		{`no rule matches`, `no rule matches`},
		{`cannot fetch id from float64`, `cannot fetch id from float64`},
	}
	for _, tc := range tests {
		if got := LogText(errors.New(tc.in)); got != tc.want {
			t.Errorf("LogText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if LogText(nil) != "" {
		t.Error("LogText(nil) is not empty")
	}
}

// A payload value quoted in an error reaches the dead letter, not the log.
func TestDeadLetterLogOmitsPayloadValues(t *testing.T) {
	f := setup(t, nil)
	m, problems := transform.Parse("amounts.yaml", []byte(`provider: seq
module: test
accepts: [webhook]
webhook: {signature: {scheme: none}}
idempotency_key: payload.id
rules:
  - name: paid
    when: "true"
    entity_type: thing
    event_name: paid
    entity_id: payload.id
    source: '"https://seq.example.com/things/" + payload.id'
    data:
      amount: minorUnits(payload.amount, "BRL")
`), transform.Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	var logs bytes.Buffer
	p := New(f.pub, Options{Dedupe: f.store, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := p.Handle(ctx, m, f.input(t, `{"id":"t-1","amount":"4242 4242 4242 4242"}`))
	if v.Outcome != DeadLettered || v.Reason != string(deadletter.ReasonEvalError) {
		t.Fatalf("verdict %v %s (%v), want dead_lettered eval_error", v.Outcome, v.Reason, v.Err)
	}
	if !strings.Contains(v.Err.Error(), "4242 4242 4242 4242") {
		t.Errorf("the dead letter's error %q lost the value", v.Err)
	}
	if out := logs.String(); !strings.Contains(out, "dead-lettered") || strings.Contains(out, "4242") {
		t.Errorf("log:\n%s\nwant the dead letter logged without the payload's value", out)
	}
}
