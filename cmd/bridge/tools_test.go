package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyMappings copies the shipped mappings and examples into a temporary
// tree laid out like the repository, so a test may edit them.
func copyMappings(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dirs := []string{"mappings"}
	examples, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range examples {
		if fi, err := os.Stat(e); err == nil && fi.IsDir() {
			dirs = append(dirs, filepath.Join("examples", filepath.Base(e)))
		}
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Join("../..", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join("../..", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func runTool(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheck(t *testing.T) {
	root := copyMappings(t)
	dir := filepath.Join(root, "mappings")
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "x")
	setShippedSecrets(t)
	if code, out, _ := runTool(t, "", "check", "--mappings", dir); code != 0 || !strings.Contains(out, "\nok: ") ||
		!strings.Contains(out, "guardia.yaml accepts the events protocol: bridge run needs --events-auth") ||
		!strings.Contains(out, "pix.yaml:") || !strings.Contains(out, ": warning: scheme none verifies nothing") {
		t.Fatalf("check on the examples: exit %d\n%s", code, out)
	}
	t.Setenv("BRIDGE_EVENTS_AUTH", "token")
	if code, out, _ := runTool(t, "", "check", "--mappings", dir); code != 0 || strings.Contains(out, "note:") {
		t.Fatalf("check with the events auth chosen: exit %d\n%s", code, out)
	}
	stripe := filepath.Join(dir, "stripe.yaml")
	b, _ := os.ReadFile(stripe)
	broken := strings.Replace(string(b), "currency: upper(payload.data.object.currency)", "currency: upper(1)\n      colour: nosuch(payload)", 1)
	broken = strings.Replace(broken, "    entity_type: payment_intent\n", "    entity_type: Payment-Intent\n", 1)
	if err := os.WriteFile(stripe, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runTool(t, "", "check", "--mappings", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	lineOf := func(s string) int {
		for i, l := range strings.Split(broken, "\n") {
			if strings.Contains(l, s) {
				return i + 1
			}
		}
		t.Fatalf("%q not in the file", s)
		return 0
	}
	for _, want := range []string{
		fmt.Sprintf(`%s:%d:23: rule "charge.succeeded": data.currency: cannot use int as argument (type string) to call upper`, stripe, lineOf("upper(1)")),
		fmt.Sprintf(`%s:%d:15: rule "charge.succeeded": data.colour: unknown name nosuch`, stripe, lineOf("nosuch(payload)")),
		fmt.Sprintf(`%s:%d:18: rule "payment_intent.succeeded": entity_type "Payment-Intent" must be lower case`, stripe, lineOf("Payment-Intent")),
		"3 problem(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckWarnings: bridge check prints each warning as
// path:line:col: warning: message [slug] and exits 0 when there are only
// warnings: scheme none given a secret, scheme none on a listener without
// mutual TLS (not with BRIDGE_TLS_CLIENT_CA set), and two fixtures of
// different rules whose deliveries get one idempotency key. A set that does
// not load prints its warnings beside its problems, and exits 1.
func TestCheckWarnings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("created.json", `{"id": "n1", "type": "payment.created", "payment": "p1"}`)
	write("updated.json", `{"id": "n1", "type": "payment.updated", "payment": "p1"}`)
	write("created.event.json", "[]")
	write("updated.event.json", "[]")
	rule := func(event string) string {
		return "  - when: payload.type == \"payment." + event + "\"\n    name: " + event + "\n    entity_type: payment\n    event_name: " + event +
			"\n    entity_id: payload.payment\n    source: '\"https://pay.example\"'\n    tests:\n      - {payload: " + event + ".json, expect: " + event + ".event.json}\n"
	}
	file := filepath.Join(dir, "pay.yaml")
	mapping := "provider: pay\nmodule: m\nwebhook:\n  signature:\n    scheme: none\n    secret: ${PAY_SECRET}\nidempotency_key: payload.id\nrules:\n" +
		rule("created") + rule("updated")
	write("pay.yaml", mapping)
	t.Setenv("PAY_SECRET", "a-secret-nothing-reads")
	t.Setenv("BRIDGE_TLS_CLIENT_CA", "")

	code, out, _ := runTool(t, "", "check", "--mappings", dir)
	wants := []string{
		file + ":5:13: warning: scheme none verifies nothing: anyone who can reach the webhook URL can store events as this provider",
		file + ":6:5: warning: webhook.signature.secret is not used: scheme none verifies nothing; set the scheme that uses this secret (hmac, stripe, github...), or remove the secret [none-with-secret]",
		file + `:24: warning: rule "updated": fixture ` + filepath.Join(dir, "updated.json") + ` (rule "updated") gets the idempotency key `,
		" of fixture " + filepath.Join(dir, "created.json") + ` at line 16 (rule "created")`,
		"[idempotency-key-collision]",
		"ok: 1 mapping file(s), 2 rule(s), 2 event type(s), 3 warning(s)\n",
	}
	for _, want := range wants {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, want 0; output lacks %q:\n%s", code, want, out)
		}
	}
	if !strings.HasPrefix(out, file+":5:13: ") {
		t.Errorf("the warnings are not printed in file order, first:\n%s", out)
	}
	if strings.Contains(out, "a-secret-nothing-reads") {
		t.Errorf("check printed the secret's value:\n%s", out)
	}

	// A CA file that is not there silences nothing (bridge run would not
	// start with it).
	t.Setenv("BRIDGE_TLS_CLIENT_CA", filepath.Join(t.TempDir(), "nonexistent.pem"))
	if code, out, _ = runTool(t, "", "check", "--mappings", dir); !strings.Contains(out, "[none-unverified]") {
		t.Errorf("with a BRIDGE_TLS_CLIENT_CA that is not there: exit %d\n%s", code, out)
	}

	// A listener that requires client certificates: none is what it is for.
	ca := filepath.Join(t.TempDir(), "clients.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BRIDGE_TLS_CLIENT_CA", ca)
	code, out, _ = runTool(t, "", "check", "--mappings", dir)
	if code != 0 || strings.Contains(out, "[none-unverified]") || !strings.Contains(out, "[none-with-secret]") || !strings.Contains(out, ", 2 warning(s)") {
		t.Errorf("with BRIDGE_TLS_CLIENT_CA: exit %d\n%s", code, out)
	}

	// A set that does not load: its problems and its warnings, exit 1.
	write("pay.yaml", strings.Replace(mapping, "rules:\n", "redact: x\nrules:\n", 1))
	code, out, _ = runTool(t, "", "check", "--mappings", dir)
	if code != 1 || !strings.Contains(out, file+`:8:9: redact must be a list, got "x"`) || !strings.Contains(out, "[none-with-secret]") ||
		!strings.Contains(out, "1 problem(s), 1 warning(s)") {
		t.Errorf("a set that does not load: exit %d\n%s", code, out)
	}
}

// TestCheckFileServingNothing: a file with neither accepts nor a webhook
// block (which used to serve NATS and the events protocol by default)
// fails bridge check with where and how to fix it, and so does an
// expression that reads envelope.auth.
func TestCheckFileServingNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "relay.yaml")
	body := "provider: relay\nmodule: m\nrules:\n  - when: envelope.auth.token == \"x\"\n    entity_type: thing\n    event_name: seen\n" +
		"    entity_id: payload.id\n    source: '\"https://relay.example/\" + payload.id'\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runTool(t, "", "check", "--mappings", dir)
	for _, want := range []string{
		file + ":1:1: the file serves no ingestor: it has no webhook: block and no accepts; add a webhook: block (webhooks), or accepts: [nats] or [events]",
		file + `:4:20: rule "0": when: envelope.auth is not available to expressions`,
	} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
}

func TestTestCommand(t *testing.T) {
	root := copyMappings(t)
	dir := filepath.Join(root, "mappings")
	code, out, _ := runTool(t, "", "test", "--mappings", dir)
	if code != 0 || !strings.HasSuffix(out, " passed, 0 failed\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// An edit that changes the output fails its fixture with a diff...
	pix := filepath.Join(dir, "pix.yaml")
	b, _ := os.ReadFile(pix)
	if err := os.WriteFile(pix, bytes.Replace(b, []byte(`currency: '"BRL"'`), []byte(`currency: '"USD"'`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runTool(t, "", "test", "--mappings", dir)
	if code != 1 || !strings.Contains(out, "--- FAIL: pix/pix.received") || !strings.Contains(out, `-       "currency": "BRL",`) ||
		!strings.Contains(out, `+       "currency": "USD",`) || !strings.HasSuffix(out, " passed, 2 failed\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// ...and --update accepts the new output.
	if code, out, _ = runTool(t, "", "test", "--mappings", dir, "--update"); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("update: exit %d\n%s", code, out)
	}
	if code, out, _ = runTool(t, "", "test", "--mappings", dir); code != 0 {
		t.Fatalf("after update: exit %d\n%s", code, out)
	}
}

func TestMapCommand(t *testing.T) {
	dir := "../../mappings"
	charge, _ := os.ReadFile("../../examples/stripe/charge.succeeded.json")
	code, out, errOut := runTool(t, string(charge), "map", "--mappings", dir, "--provider", "stripe")
	var events []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &events) != nil || len(events) != 1 || events[0]["id"] == nil ||
		events[0]["type"] != "event.stripe.payments.charge.succeeded" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	ping, _ := os.ReadFile("../../examples/github/ping.json")
	code, out, _ = runTool(t, string(ping), "map", "--mappings", dir, "--provider", "github", "-H", "X-GitHub-Event: ping")
	if code != 0 || !strings.Contains(out, `"dropped": true`) {
		t.Fatalf("drop: exit %d\n%s", code, out)
	}
	customer, _ := os.ReadFile("../../examples/stripe/customer.created.json")
	code, _, errOut = runTool(t, string(customer), "map", "--mappings", dir, "--provider", "stripe")
	if code != 1 || !strings.HasPrefix(errOut, "dead letter: no_rule") {
		t.Fatalf("no rule: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = runTool(t, "{}", "map", "--mappings", dir); code != 2 || !strings.Contains(errOut, "--provider is required") {
		t.Fatalf("no provider: exit %d %s", code, errOut)
	}
	if code, _, errOut = runTool(t, "{", "map", "--mappings", dir, "--provider", "pix"); code != 1 || !strings.Contains(errOut, "invalid JSON") {
		t.Fatalf("bad JSON: exit %d %s", code, errOut)
	}
}

func TestCatalogCommand(t *testing.T) {
	code, out, _ := runTool(t, "", "catalog", "--mappings", "../../mappings", "--json")
	var cat []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &cat) != nil || len(cat) < 9 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if cat[0]["type"] != "event.github.repository.pull_request.closed" || cat[0]["dataschema"] == nil || cat[0]["line"] == nil {
		t.Errorf("first entry %v", cat[0])
	}
}
