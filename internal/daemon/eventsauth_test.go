package daemon

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// stripeWithoutAccepts copies the shipped stripe.yaml into a new directory
// with its accepts line removed: a file written for signed webhooks only,
// as most files are.
func stripeWithoutAccepts(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../mappings/stripe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = regexp.MustCompile(`(?m)^accepts:.*\n`).ReplaceAll(data, nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stripe.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestForgedEnvelopeIsNotStored is the attack of issue 15, item 1: a
// mapping file without accepts used to serve all three ingestors, and the
// events endpoint authenticates no one by default, so an envelope carrying
// a provider's payload was stored as that provider's event without its
// webhook signature. Now the file serves webhooks only: the envelope is
// answered eventNotFound and nothing is stored, while the signed webhook
// still is.
func TestForgedEnvelopeIsNotStored(t *testing.T) {
	dir := stripeWithoutAccepts(t)
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.Mappings = dir })

	var charge map[string]any
	if err := json.Unmarshal(readExample(t, "stripe/charge.succeeded.json"), &charge); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/events/", "/events/others", "/events"} {
		_, err := send(t, b, path, "payment:charge:succeeded", charge)
		var nf *eventsprotocol.EventNotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("forged envelope on %s: %v, want eventNotFound", path, err)
		}
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 0 {
		t.Fatalf("%d events stored from forged envelopes", n)
	}
	if n := streamMsgs(t, b.js, "EVENTS_DLQ"); n != 0 {
		t.Fatalf("%d dead letters stored from forged envelopes", n)
	}
	if r := postStripe(t, b, "charge.succeeded.json"); r.status != 202 {
		t.Fatalf("signed webhook: %d %s", r.status, r.raw)
	}
}

// TestOpenEventsEndpointRefused: bridge run does not start when a file
// accepts events and --events-auth is none only by default; the error
// names the file and the setting. Written explicitly, none is accepted.
func TestOpenEventsEndpointRefused(t *testing.T) {
	cfg := config.Default()
	cfg.Mappings, cfg.Schemas = "../../mappings", "../../schemas"
	t.Setenv("STRIPE_WEBHOOK_SECRET", stripeSecret)
	t.Setenv("GITHUB_WEBHOOK_SECRET", githubSecret)
	setShippedSecrets(t)
	_, err := New(cfg, nil)
	if err == nil {
		t.Fatal("New accepted an events endpoint open by default")
	}
	for _, want := range []string{"../../mappings/guardia.yaml accepts the events protocol", "--events-auth", "BRIDGE_EVENTS_AUTH", "events.auth"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, src := range []string{"flag --events-auth", "env BRIDGE_EVENTS_AUTH", "bridge.yaml:4:3 events.auth"} {
		cfg.EventsAuthSource = src
		if _, err := New(cfg, nil); err != nil {
			t.Errorf("explicit none (%s) refused: %v", src, err)
		}
	}
	cfg.EventsAuthSource, cfg.EventsAuth, cfg.EventsSecret = "", "token", "k3y"
	if _, err := New(cfg, nil); err != nil {
		t.Errorf("token auth refused: %v", err)
	}
}

// TestReloadRefusesOpenEventsEndpoint: a reload that would bring in a file
// accepting events while the auth is none by default is refused; the
// running set stays, so the envelope is still not stored.
func TestReloadRefusesOpenEventsEndpoint(t *testing.T) {
	dir := stripeWithoutAccepts(t)
	logs := &logBuffer{}
	b := launchBridge(t, setup{srv: natstest.Start(t), logs: logs, edit: func(c *config.Config) {
		c.Mappings, c.EventsAuthSource = dir, ""
	}})
	guardia, err := os.ReadFile("../../mappings/guardia.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "guardia.yaml"), guardia, 0o600); err != nil {
		t.Fatal(err)
	}
	err = b.Reload()
	if err == nil || !strings.Contains(err.Error(), "guardia.yaml accepts the events protocol") {
		t.Fatalf("reload: %v", err)
	}
	if _, ok := b.mappings.Load().Mapping("guardia"); ok {
		t.Fatal("the refused set was swapped in")
	}
	_, err = send(t, b, "/events/", "ledger:ledger:create", ledger)
	var nf *eventsprotocol.EventNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("envelope after a refused reload: %v, want eventNotFound", err)
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 0 {
		t.Fatalf("%d events stored", n)
	}
	if len(logs.records(t, "mapping reload failed; the running mappings stay")) == 0 {
		t.Error("the refused reload is not logged")
	}
}
