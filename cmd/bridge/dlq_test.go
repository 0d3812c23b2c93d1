package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

const dlqShopMapping = `provider: shop
module: test
webhook: {signature: {scheme: stripe, secret: '${SHOP_WEBHOOK_SECRET}'}}
idempotency_key: payload.id
redact: [data.object.email]
rules:
  - name: customer.created
    when: payload.type == "customer.created"
    entity_type: customer
    event_name: created
    entity_id: payload.data.object.id
    source: '"https://shop.example.com/customers/" + payload.data.object.id'
    data:
      name: payload.data.object.name
`

// dlqEnv starts a NATS server with the bridge's streams, stores two dead
// letters of provider shop as the daemon would (a customer.created that the
// mapping now maps, a refund it still does not), and writes the mapping.
func dlqEnv(t *testing.T) (url, mappings string, js jetstream.JetStream) {
	t.Helper()
	srv := natstest.Start(t)
	_, js = natstest.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := publish.DefaultConfig()
	if err := publish.EnsureStreams(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := publish.New(js, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := deadletter.NewWriter(pub, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"id": "evt_1", "type": "customer.created", "data": {"object": {"id": "cus_1", "name": "Ana", "email": "ana@example.com"}}}`,
		`{"id": "evt_2", "type": "refund.created", "data": {"object": {"id": "re_1"}}}`,
	} {
		if _, err := dead.Store(ctx, "", deadletter.Letter{Provider: "shop", Reason: deadletter.ReasonNoRule, Error: "no rule matches",
			File: "mappings/shop.yaml", Ingest: "webhook", ReceivedAt: time.Now(),
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	mappings = t.TempDir()
	if err := os.WriteFile(filepath.Join(mappings, "shop.yaml"), []byte(dlqShopMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL(), mappings, js
}

func streamState(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().State
}

func TestDLQList(t *testing.T) {
	url, mappings, _ := dlqEnv(t)
	t.Setenv("BRIDGE_NATS_URL", url)

	code, out, errOut := runTool(t, "", "dlq", "list", "--mappings", mappings)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"#1  ", "  shop  no_rule  rule -  mappings/shop.yaml\n", "error: no rule matches",
		`body:  {"id":"evt_1","type":"customer.created","data":{"object":{"id":"cus_1","name":"Ana","email":"[redacted]"}}}`,
		"#2  ", "2 dead letter(s)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ana@example.com") {
		t.Errorf("a redacted value is shown:\n%s", out)
	}

	code, out, _ = runTool(t, "", "dlq", "list", "--mappings", mappings, "--json", "--limit", "1", "--since", "1h", "--provider", "shop")
	var got struct {
		DeadLetters []struct {
			Seq    uint64 `json:"seq"`
			Reason string `json:"reason"`
			Body   string `json:"body"`
		} `json:"dead_letters"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if len(got.DeadLetters) != 1 || got.DeadLetters[0].Seq != 1 || !strings.Contains(got.DeadLetters[0].Body, `"email":"[redacted]"`) {
		t.Errorf("--json --limit 1 = %+v", got)
	}

	// Without the mappings, the redact paths are unknown: no body is shown.
	code, out, errOut = runTool(t, "", "dlq", "list", "--mappings", filepath.Join(mappings, "nope"), "--reason", "no_rule")
	if code != 0 || strings.Contains(out, "cus_1") || !strings.Contains(out, "hidden") || !strings.Contains(errOut, "bodies hidden") {
		t.Errorf("without mappings: exit %d\n%s%s", code, out, errOut)
	}
}

func TestDLQUsageAndConnectErrors(t *testing.T) {
	for _, args := range [][]string{{"dlq"}, {"dlq", "purge"}, {"dlq", "list", "--provider", "a.b"}, {"dlq", "replay", "--since", "soon"}, {"dlq", "list", "extra"}} {
		if code, _, _ := runTool(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, _, errOut := runTool(t, "", "dlq", "list", "--nats-url", "nats://127.0.0.1:1", "--mappings", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "connect") || !strings.Contains(errOut, "--nats-url or BRIDGE_NATS_URL") {
		t.Errorf("no server: exit %d, %q", code, errOut)
	}
}

func TestDLQReplay(t *testing.T) {
	url, mappings, js := dlqEnv(t)
	args := []string{"dlq", "replay", "--nats-url", url, "--mappings", mappings, "--schemas", t.TempDir()}

	before := streamState(t, js, "EVENTS_DLQ")
	code, out, errOut := runTool(t, "", append(args, "--dry-run")...)
	if code != 1 {
		t.Errorf("dry run: exit %d, want 1 (the refund would stay)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"#1 shop no_rule -> would publish event.shop.test.customer.created idempotencykey ",
		"#2 shop no_rule -> would keep, still no_rule: no rule matches", "dry run: 2 dead letter(s): 1 published, 1 kept\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if after := streamState(t, js, "EVENTS_DLQ"); after.Msgs != before.Msgs || after.LastSeq != before.LastSeq {
		t.Errorf("a dry run changed the dead letters: %+v -> %+v", before, after)
	}

	// The first dead letter alone: handled, exit 0.
	code, out, errOut = runTool(t, "", append(args, "--limit", "1")...)
	if code != 0 || !strings.Contains(out, "#1 shop no_rule -> published event.shop.test.customer.created ") ||
		!strings.Contains(out, "1 dead letter(s): 1 published; 0 remain\n") {
		t.Fatalf("replay --limit 1: exit %d\n%s%s", code, out, errOut)
	}
	if st := streamState(t, js, "EVENTS"); st.Msgs != 1 {
		t.Errorf("%d events stored, want 1", st.Msgs)
	}
	// The rest: the refund stays, exit 1.
	code, out, _ = runTool(t, "", args...)
	if code != 1 || !strings.Contains(out, "#2 shop no_rule -> kept, still no_rule") || !strings.Contains(out, "1 kept; 1 remain") {
		t.Errorf("replay: exit %d\n%s", code, out)
	}
	if st := streamState(t, js, "EVENTS_DLQ"); st.Msgs != 1 || st.FirstSeq != 2 {
		t.Errorf("dead letters left: %+v, want #2 alone", st)
	}

	// --json gives the report.
	code, out, _ = runTool(t, "", append(args, "--json")...)
	var rep struct {
		Results []struct {
			Seq     uint64 `json:"seq"`
			Outcome string `json:"outcome"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || len(rep.Results) != 1 || rep.Results[0].Outcome != "kept" {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}
}

// bridge dlq authenticates as bridge run does: --nats-user with the
// password from BRIDGE_NATS_PASSWORD (never a flag).
func TestDLQAuthenticates(t *testing.T) {
	url := natstest.Run(t, &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		Username: "ops", Password: "s3cret", NoSigs: true, NoLog: true})
	nc, err := nats.Connect(url, nats.UserInfo("ops", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := publish.EnsureStreams(ctx, js, publish.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	args := []string{"dlq", "list", "--nats-url", url, "--mappings", t.TempDir()}
	if code, _, errOut := runTool(t, "", args...); code != 1 || !strings.Contains(strings.ToLower(errOut), "authorization") {
		t.Errorf("without credentials: exit %d, %q; want 1 and the server's refusal", code, errOut)
	}
	t.Setenv("BRIDGE_NATS_PASSWORD", "s3cret")
	if code, out, errOut := runTool(t, "", append(args, "--nats-user", "ops")...); code != 0 {
		t.Errorf("with --nats-user and BRIDGE_NATS_PASSWORD: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runTool(t, "", append(args, "--nats-user", "ops", "--nats-creds", "x.creds")...); code != 2 || !strings.Contains(errOut, "one NATS authentication method") {
		t.Errorf("two methods: exit %d, %q; want 2, a usage error", code, errOut)
	}
	// The NATS settings from bridge run's config file, as bridge run reads them.
	cfg := filepath.Join(t.TempDir(), "bridge.yaml")
	if err := os.WriteFile(cfg, []byte("nats:\n  url: "+url+"\n  user: ops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runTool(t, "", "dlq", "list", "--config", cfg, "--mappings", t.TempDir()); code != 0 {
		t.Errorf("with --config: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("BRIDGE_CONFIG", cfg)
	if code, out, errOut := runTool(t, "", "dlq", "list", "--mappings", t.TempDir()); code != 0 {
		t.Errorf("with BRIDGE_CONFIG: exit %d\n%s%s", code, out, errOut)
	}
}
