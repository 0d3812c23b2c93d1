package backfill_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bridge-dev/bridge/internal/backfill"
	"github.com/bridge-dev/bridge/internal/backfill/backfilltest"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/retry"
	"github.com/bridge-dev/bridge/internal/storetest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestMain fails the package's tests when a goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const apiKey = "sk_test_backfill_not_a_real_key"

// since is the start of every test's window; the events are within it.
var since = time.Now().Add(-72 * time.Hour).Truncate(time.Second)

type rig struct {
	st   *storetest.Store
	pipe *pipeline.Runner
	m    *transform.Mapping
	api  *backfilltest.Stripe
}

// setup starts NATS with the bridge's streams, a pipeline as the daemon
// wires it, the shipped Stripe mapping and a fake Events API holding n
// events.
func setup(t *testing.T, n int) *rig {
	t.Helper()
	st := storetest.Start(t, storetest.Options{})
	data, err := os.ReadFile("../../mappings/stripe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, ds := transform.Parse("../../mappings/stripe.yaml", data, transform.Options{SchemasDir: "../../schemas",
		LookupEnv: func(string) (string, bool) { return "whsec_test_secret_0123456789", true }})
	if len(ds) > 0 {
		t.Fatal(ds[0])
	}
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = backfilltest.Event(i, since.Add(time.Duration(i+1)*time.Minute).Unix())
	}
	return &rig{st: st, pipe: pipeline.New(st.Publisher, pipeline.Options{Dedupe: st.Idem, DeadLetters: st.Dead}),
		m: m, api: backfilltest.NewStripe(t, apiKey, events)}
}

func (r *rig) options() backfill.Options {
	return backfill.Options{URL: r.api.URL, Since: since, LookupEnv: func(k string) (string, bool) {
		if k == "STRIPE_API_KEY" {
			return apiKey, true
		}
		return "", false
	}, Backoff: retry.Policy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}, MaxRetryAfter: 50 * time.Millisecond}
}

func (r *rig) run(t *testing.T, h backfill.Handler, o backfill.Options) (backfill.Report, error) {
	t.Helper()
	return backfill.Run(natstest.Context(t, 30*time.Second), r.m, h, o)
}

func TestBackfillStoresEachEventOnce(t *testing.T) {
	r := setup(t, 250)
	var results []backfill.Result
	o := r.options()
	o.OnItem = func(res backfill.Result) { results = append(results, res) }
	start := time.Now()
	rep, err := r.run(t, r.pipe, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stored 250 events from 3 pages in %s (%.0f items/s)", time.Since(start).Round(time.Millisecond), 250/time.Since(start).Seconds())
	if rep.Stored != 250 || rep.Duplicates != 0 || rep.DeadLetters != 0 || rep.Pages != 3 || rep.Items != 250 {
		t.Fatalf("first run: %+v", rep)
	}
	if got := natstest.StreamInfoState(t, r.st.JS, "EVENTS").Msgs; got != 250 {
		t.Fatalf("EVENTS holds %d events, want 250", got)
	}
	if len(results) != 250 || results[0].Page != 1 || results[249].Page != 3 || len(results[0].Events) != 1 ||
		results[0].Events[0].Type != "event.stripe.payments.charge.succeeded" {
		t.Fatalf("results: %d, first %+v", len(results), results[0])
	}

	start = time.Now()
	rep, err = r.run(t, r.pipe, r.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("found 250 duplicates in %s (%.0f items/s)", time.Since(start).Round(time.Millisecond), 250/time.Since(start).Seconds())
	if rep.Stored != 0 || rep.Duplicates != 250 {
		t.Fatalf("second run: %+v", rep)
	}
	if got := natstest.StreamInfoState(t, r.st.JS, "EVENTS").Msgs; got != 250 {
		t.Fatalf("after the second run EVENTS holds %d events, want 250", got)
	}
	if rep.Summary() != "stored 0, duplicates 250, dead letters 0 (250 items, 3 pages)" {
		t.Errorf("summary %q", rep.Summary())
	}
}

// The events outside since..until are not asked for; a dry run stores
// nothing and tells the new from the stored.
func TestBackfillDryRunAndWindow(t *testing.T) {
	r := setup(t, 30)
	o := r.options()
	o.Until = since.Add(20*time.Minute + 30*time.Second) // events 0..19
	rep, err := r.run(t, r.pipe, o)
	if err != nil || rep.Stored != 20 {
		t.Fatalf("stored %+v, %v", rep, err)
	}
	o = r.options()
	var outcomes []pipeline.Outcome
	o.OnItem = func(res backfill.Result) { outcomes = append(outcomes, res.Outcome) }
	rep, err = r.run(t, backfill.DryRun{Store: r.st.Idem}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || rep.Stored != 10 || rep.Duplicates != 20 {
		t.Fatalf("dry run: %+v", rep)
	}
	// Newest first: the 10 events past until come first.
	for i, o := range outcomes {
		if want := map[bool]pipeline.Outcome{true: pipeline.Published, false: pipeline.Duplicate}[i < 10]; o != want {
			t.Fatalf("item %d: %v, want %v", i, o, want)
		}
	}
	if got := natstest.StreamInfoState(t, r.st.JS, "EVENTS").Msgs; got != 20 {
		t.Fatalf("the dry run stored: EVENTS holds %d", got)
	}
	if !strings.HasPrefix(rep.Summary(), "would store 10, duplicates 20, would dead-letter 0") {
		t.Errorf("summary %q", rep.Summary())
	}
}

// 429 with Retry-After and 5xx answers are tried again; the page is then
// read once, and every event is stored.
func TestBackfillRetriesThrottlingAndServerErrors(t *testing.T) {
	r := setup(t, 120)
	r.api.Fail(backfilltest.Fault{Status: 429, RetryAfter: "1"}, backfilltest.Fault{Status: 500},
		backfilltest.Fault{Status: 503, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)})
	o := r.options()
	o.MaxRetryAfter = time.Second
	var logs bytes.Buffer
	o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	rep, err := r.run(t, r.pipe, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != 120 || rep.Pages != 2 {
		t.Fatalf("%+v", rep)
	}
	if got := r.api.Requests(); got != 5 {
		t.Errorf("%d requests, want 5 (3 faults, 2 pages)", got)
	}
	// The waits chosen: the 429's Retry-After (1s), the backoff's for the
	// 500 (5ms to 10ms with equal jitter), the 503's hour capped to 1s.
	var waits []time.Duration
	dec := json.NewDecoder(&logs)
	for dec.More() {
		var line struct {
			Msg   string
			Wait  time.Duration
			Error string
		}
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		if line.Msg == "list API answer retried" {
			waits = append(waits, line.Wait)
		}
	}
	if len(waits) != 3 || waits[0] != time.Second || waits[1] < 5*time.Millisecond || waits[1] > 10*time.Millisecond || waits[2] != time.Second {
		t.Errorf("waits %v, want [1s 5ms..10ms 1s]", waits)
	}
}

func TestBackfillFailures(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(r *rig, o *backfill.Options)
		want     string // in the error
		is       error
		requests int
	}{
		{"a page that is not JSON", func(r *rig, o *backfill.Options) { r.api.Break() }, "the page is not JSON: invalid JSON at byte", nil, 1},
		{"a list that never ends", func(r *rig, o *backfill.Options) { r.api.Loop() }, "after page 2 the next query is", backfill.ErrLoop, 2},
		{"too many pages", func(r *rig, o *backfill.Options) { o.MaxPages = 1 }, "past 1 pages", backfill.ErrTooManyPages, 1},
		{"a 4xx is not tried again", func(r *rig, o *backfill.Options) { r.api.Fail(backfilltest.Fault{Status: 400}) }, "HTTP 400", nil, 1},
		{"the wrong key", func(r *rig, o *backfill.Options) {
			o.LookupEnv = func(string) (string, bool) { return "sk_wrong_key_value", true }
		}, "HTTP 401: {\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Invalid API Key provided\"}}", nil, 1},
		{"no key", func(r *rig, o *backfill.Options) { o.LookupEnv = func(string) (string, bool) { return "", false } },
			"backfill.auth.bearer: environment variable STRIPE_API_KEY is not set", transform.ErrBackfillSecret, 0},
		{"5xx until the attempts run out", func(r *rig, o *backfill.Options) {
			o.Attempts = 3
			r.api.Fail(backfilltest.Fault{Status: 502}, backfilltest.Fault{Status: 502}, backfilltest.Fault{Status: 502})
		}, "HTTP 502", nil, 3},
		{"http beyond loopback", func(r *rig, o *backfill.Options) { o.URL = "http://api.stripe.example/v1/events" },
			"http is allowed only to a loopback host", backfill.ErrInvalidOption, 0},
		{"an error body that echoes the key", func(r *rig, o *backfill.Options) {
			r.api.Fail(backfilltest.Fault{Status: 400, Body: `{"error":{"message":"the key ` + apiKey + ` cannot list events"}}`})
		}, "the key [redacted] cannot list events", nil, 1},
		{"since after until", func(r *rig, o *backfill.Options) { o.Until = since.Add(-time.Hour) }, "is not before until", backfill.ErrInvalidOption, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := setup(t, 150)
			o := r.options()
			tc.prepare(r, &o)
			_, err := r.run(t, r.pipe, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), "sk_wrong_key_value") {
				t.Errorf("the error shows the API key: %v", err)
			}
			if got := r.api.Requests(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
		})
	}
}

// A run cancelled half-way returns what it did; the next run stores the
// rest, each event once.
func TestBackfillCancelledThenRunAgain(t *testing.T) {
	r := setup(t, 150)
	ctx, cancel := context.WithCancel(natstest.Context(t, 30*time.Second))
	o := r.options()
	o.OnItem = func(res backfill.Result) {
		if res.Page == 1 && res.Index == 49 {
			cancel()
		}
	}
	rep, err := backfill.Run(ctx, r.m, r.pipe, o)
	if err == nil || rep.Stored >= 150 {
		t.Fatalf("cancelled run: %+v, %v", rep, err)
	}
	rep2, err := r.run(t, r.pipe, r.options())
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Stored+rep2.Duplicates != 150 || rep2.Stored != 150-rep.Stored {
		t.Fatalf("second run %+v after the first stored %d", rep2, rep.Stored)
	}
	if got := natstest.StreamInfoState(t, r.st.JS, "EVENTS").Msgs; got != 150 {
		t.Fatalf("EVENTS holds %d events, want 150", got)
	}
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(backfill.Result{Page: 2, Index: 3, Outcome: pipeline.DeadLettered, Reason: "no_rule", Error: "no rule matches"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"outcome":"dead_lettered","page":2,"index":3,"reason":"no_rule","error":"no rule matches"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
