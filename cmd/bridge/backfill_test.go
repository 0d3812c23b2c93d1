package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bridge-dev/bridge/internal/backfill/backfilltest"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/natstest"
)

const backfillAPIKey = "sk_test_cmd_backfill_key"

// stripeEvents are n Stripe events created within the last 72 hours, and
// the fake Events API that lists them.
func stripeEvents(t *testing.T, n int) ([]map[string]any, *backfilltest.Stripe) {
	t.Helper()
	start := time.Now().Add(-70 * time.Hour)
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = backfilltest.Event(i, start.Add(time.Duration(i)*time.Minute).Unix())
	}
	return events, backfilltest.NewStripe(t, backfillAPIKey, events)
}

// postStripe delivers ev to the bridge's webhook, signed as Stripe signs
// (the secret launch gives the bridge), and wants it stored.
func postStripe(t *testing.T, a bridgeAddrs, ev map[string]any) {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.http+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_x", Timestamp: time.Now()}).Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook %s: %s", ev["id"], resp.Status)
	}
}

// missed is whether the webhook never delivered event i: 20 of 120,
// spread over the pages.
func missed(i int) bool { return i%6 == 0 }

// checkEachOnce wants EVENTS to hold exactly one event per Stripe event:
// n messages, whose Nats-Msg-Id are the n events' keys.
func checkEachOnce(t *testing.T, js jetstream.JetStream, events []map[string]any) {
	t.Helper()
	want := map[string]string{}
	for _, ev := range events {
		want[idem.KeyFor("stripe", ev["id"].(string)).String()] = ev["id"].(string)
	}
	msgs := natstest.StreamMessages(t, js, "EVENTS")
	seen := map[string]bool{}
	for _, m := range msgs {
		key := m.Header.Get("Nats-Msg-Id")
		if _, ok := want[key]; !ok {
			t.Errorf("EVENTS holds an event of no Stripe event: %s", key)
		}
		if seen[key] {
			t.Errorf("EVENTS holds %s (%s) twice", key, want[key])
		}
		seen[key] = true
	}
	if len(msgs) != len(events) || len(seen) != len(events) {
		t.Fatalf("EVENTS holds %d events (%d keys), want %d", len(msgs), len(seen), len(events))
	}
}

// Done when (c): the fake Events API holds 120 events, the webhook
// delivered 100 of them through the real daemon; bridge backfill stores
// exactly the 20 missing, and a second run none.
func TestBackfillStoresWhatTheWebhookMissed(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	events, api := stripeEvents(t, 120)
	for i, ev := range events {
		if !missed(i) {
			postStripe(t, p.addrs, ev)
		}
	}
	if got := streamCount(t, js, "EVENTS"); got != 100 {
		t.Fatalf("the webhook stored %d events, want 100", got)
	}
	mappings, _ := filepath.Abs("../../mappings")
	schemas, _ := filepath.Abs("../../schemas")
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
	t.Setenv("STRIPE_API_KEY", backfillAPIKey)
	args := []string{"backfill", "stripe", "--since", "72h", "--url", api.URL, "--mappings", mappings, "--schemas", schemas, "--nats-url", srv.URL()}

	// Past the idempotency horizon (72h) a webhook's delivery is forgotten:
	// its event would be stored twice.
	longer := append([]string{}, args...)
	longer[3] = "100h"
	if code, _, errOut := runTool(t, "", longer...); code != 1 || !strings.Contains(errOut, "--since 100h0m0s reaches past the idempotency horizon (72h0m0s") {
		t.Fatalf("--since 100h: exit %d, %s", code, errOut)
	}

	code, out, errOut := runTool(t, "", append(args, "--dry-run")...)
	if code != 0 || !strings.HasSuffix(out, "would store 20, duplicates 100, would dead-letter 0 (120 items, 2 pages)\n") ||
		strings.Count(out, ": new event.stripe.payments.charge.succeeded (idempotencykey ") != 20 || strings.Count(out, ": duplicate event.stripe.payments.charge.succeeded ") != 100 {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := streamCount(t, js, "EVENTS"); got != 100 {
		t.Fatalf("the dry run stored: EVENTS holds %d", got)
	}

	code, out, errOut = runTool(t, "", args...)
	if code != 0 || out != "stored 20, duplicates 100, dead letters 0 (120 items, 2 pages)\n" {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errOut)
	}
	if want := "bridge backfill: reading " + api.URL + " with Authorization from STRIPE_API_KEY\n"; !strings.HasPrefix(errOut, want) {
		t.Errorf("stderr %q does not start with %q", errOut, want)
	}
	checkEachOnce(t, js, events)
	// What the backfill stored is recorded in the idempotency store as a
	// live delivery is: the provider's own retry of it, past the duplicate
	// window, is a duplicate too.
	kv, err := js.KeyValue(natstest.Context(t, 5*time.Second), idem.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events {
		if !missed(i) {
			continue
		}
		if _, err := kv.Get(natstest.Context(t, 5*time.Second), idem.KeyFor("stripe", ev["id"].(string)).String()); err != nil {
			t.Fatalf("%s: no record in %s: %v", ev["id"], idem.DefaultBucket, err)
		}
	}

	code, out, errOut = runTool(t, "", append(args, "--json")...)
	var report struct {
		Report  struct{ Stored, Duplicates, Items int }
		Summary string
	}
	if err := json.Unmarshal([]byte(out), &report); code != 0 || err != nil || report.Report.Stored != 0 || report.Report.Duplicates != 120 ||
		report.Summary != "stored 0, duplicates 120, dead letters 0 (120 items, 2 pages)" {
		t.Fatalf("second run: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	checkEachOnce(t, js, events)
	if got := streamCount(t, js, "EVENTS_DLQ"); got != 0 {
		t.Errorf("%d dead letters", got)
	}
	if strings.Contains(out+errOut, backfillAPIKey) {
		t.Error("the output shows the API key")
	}
}

// Done when (d): a bridge backfill killed (SIGKILL) half-way, and run
// again, leaves each of the 120 events once in EVENTS.
func TestBackfillKilledThenRunAgain(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	events, api := stripeEvents(t, 120)
	for i, ev := range events {
		if !missed(i) {
			postStripe(t, p.addrs, ev)
		}
	}
	// Pages of 5, each answered after 100ms: the 24 pages take over two
	// seconds, and the kill lands between the first and the last.
	api.Limit(5)
	api.Slow(100 * time.Millisecond)
	mappings, _ := filepath.Abs("../../mappings")
	schemas, _ := filepath.Abs("../../schemas")
	backfillCmd := func() *exec.Cmd {
		cmd := exec.Command(bridgeBinary(t), "backfill", "stripe", "--since", "72h", "--url", api.URL,
			"--mappings", mappings, "--schemas", schemas, "--nats-url", srv.URL())
		cmd.Env = append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_x", "GITHUB_WEBHOOK_SECRET=gh_x", "STRIPE_API_KEY="+backfillAPIKey)
		return cmd
	}
	first := backfillCmd()
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	t.Cleanup(func() {
		_ = first.Process.Kill()
		<-exited
	})
	natstest.CheckFor(t, 30*time.Second, 5*time.Millisecond, func() error {
		if c := streamCount(t, js, "EVENTS"); c < 105 {
			return fmt.Errorf("the backfill stored %d of 20", c-100)
		}
		return nil
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	exited <- err // for the clean-up
	killedAt := streamCount(t, js, "EVENTS")
	if killedAt >= 120 || strings.Contains(firstOut.String(), "stored ") {
		t.Fatalf("the kill did not land half-way: %d events stored, output %q", killedAt, firstOut.String())
	}

	again := backfillCmd()
	out, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	want := fmt.Sprintf("stored %d, duplicates %d, dead letters 0 (120 items, 24 pages)\n", 120-killedAt, killedAt)
	if !strings.HasSuffix(string(out), want) {
		t.Errorf("rerun after the kill at %d events: %q, want it to end %q", killedAt, out, want)
	}
	t.Logf("killed with %d of 120 events stored; the rerun said %q", killedAt, strings.TrimSpace(string(out)))
	checkEachOnce(t, js, events)
}

func TestBackfillRefusals(t *testing.T) {
	mappings, _ := filepath.Abs("../../mappings")
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "gh_x")
	t.Setenv("STRIPE_API_KEY", "")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no provider", []string{"--since", "72h"}, 2, "which provider?"},
		{"no --since", []string{"stripe"}, 2, "--since is required"},
		{"two providers", []string{"stripe", "github", "--since", "1h"}, 2, `unexpected argument "github"`},
		{"a bad --until", []string{"stripe", "--since", "1h", "--until", "yesterday"}, 2, `"yesterday" is neither an RFC 3339 time nor a duration`},
		{"an empty window", []string{"stripe", "--since", "1h", "--until", "2h"}, 2, "is not after --since 1h0m0s ago: the window is empty"},
		{"http beyond loopback", []string{"stripe", "--since", "1h", "--url", "http://api.stripe.com/v1/events"}, 2, "http is allowed only to a loopback host"},
		{"an unknown provider", []string{"paypal", "--since", "1h"}, 1, `no mapping file for provider "paypal" (have github, guardia, mercadopago, pix, shopify, slack, stripe)`},
		{"a file without a block", []string{"github", "--since", "1h"}, 1, "github.yaml has no backfill: block"},
		{"no API key", []string{"stripe", "--since", "1h"}, 1, "backfill.auth.bearer: environment variable STRIPE_API_KEY is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runTool(t, "", append([]string{"backfill", "--mappings", mappings}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}
