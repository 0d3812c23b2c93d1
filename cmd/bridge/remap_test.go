package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/daemon"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// remapShop maps paid orders; refundRule, when added, maps refunds too.
const remapShop = `provider: shop
module: test
webhook: {signature: {scheme: none}}
idempotency_key: payload.id
rules:
  - name: paid
    when: payload.kind == "paid"
    entity_type: order
    event_name: paid
    entity_id: payload.order
    source: '"https://shop.example/orders/" + payload.order'
    data:
      total: payload.total
`

const refundRule = `  - name: refunded
    when: payload.kind == "refunded"
    entity_type: order
    event_name: refunded
    entity_id: payload.order
    source: '"https://shop.example/orders/" + payload.order'
    data:
      total: payload.total
`

// remapBridge runs a daemon on srv with the mapping file shop.yaml of
// dir, and returns its public and admin base URLs.
func remapBridge(t *testing.T, srv *natstest.Server, dir string) (base, admin string) {
	t.Helper()
	cfg := config.Default()
	cfg.HTTP, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Mappings, cfg.Schemas = dir, t.TempDir()
	cfg.NATSURLs = []string{srv.URL()}
	cfg.RequestTimeout = 5 * time.Second
	d, err := daemon.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(natstest.Context(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Shutdown(natstest.Context(t, 10*time.Second)) })
	return "http://" + d.HTTPAddr(), "http://" + d.AdminAddr()
}

func writeMapping(t *testing.T, dir, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func postJSON(t *testing.T, url, body string) answer {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// eventKeys returns how many events each idempotency key has in EVENTS,
// and the event id of each.
func eventKeys(t *testing.T, js jetstream.JetStream) (map[string]int, map[string]string) {
	t.Helper()
	counts, ids := map[string]int{}, map[string]string{}
	for _, m := range natstest.StreamMessages(t, js, publish.DefaultStream) {
		k := m.Header.Get(publish.HeaderMsgID)
		counts[k]++
		ids[k] = m.Header.Get(publish.HeaderCEID)
	}
	return counts, ids
}

// waitArchived waits until RAW holds n records.
func waitArchived(t *testing.T, js jetstream.JetStream, n uint64) {
	t.Helper()
	natstest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := natstest.StreamInfoState(t, js, archive.DefaultStream).Msgs; got != n {
			return fmt.Errorf("%d archived, want %d", got, n)
		}
		return nil
	})
}

// TestRemapStoresDeadLettersOnce is issue 19's (a): deliveries
// dead-lettered as no_rule are stored once by bridge remap after a rule
// for them is saved (their dead letters deleted), a second run stores
// nothing, and the live path then answers their retries as duplicates of
// the events remap stored.
func TestRemapStoresDeadLettersOnce(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	dir := t.TempDir()
	writeMapping(t, dir, remapShop)
	base, admin := remapBridge(t, srv, dir)
	refund := func(i int) string {
		return fmt.Sprintf(`{"id":"evt_r%d","kind":"refunded","order":"ord_%d","total":%d}`, i, i, 100+i)
	}
	const n = 5
	for i := range n {
		if a := postJSON(t, base+"/webhooks/shop", refund(i)); a.status != 202 || a.body["reason"] != "no_rule" {
			t.Fatalf("refund %d: %d %s", i, a.status, a.raw)
		}
	}
	if a := postJSON(t, base+"/webhooks/shop", `{"id":"evt_p","kind":"paid","order":"ord_p","total":1}`); a.status != 202 {
		t.Fatalf("paid: %d %s", a.status, a.raw)
	}
	waitArchived(t, js, n+1)
	if got := natstest.StreamInfoState(t, js, publish.DefaultDLQStream).Msgs; got != n {
		t.Fatalf("%d dead letters, want %d", got, n)
	}

	writeMapping(t, dir, remapShop+refundRule)
	natstest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { // the daemon reloads the saved file
		resp, err := http.Get(admin + "/api/catalog")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !bytes.Contains(b, []byte("event.shop.test.order.refunded")) {
			return fmt.Errorf("not reloaded: %s", b)
		}
		return nil
	})

	code, out, errOut := runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL())
	if code != 0 || !strings.HasSuffix(out, "stored 5, duplicates 1, dead letters 0\n") || !strings.Contains(out, "resolved dead letters: 5 (deleted)") {
		t.Fatalf("remap: exit %d\n%s%s", code, out, errOut)
	}
	counts, ids := eventKeys(t, js)
	if len(counts) != n+1 {
		t.Fatalf("%d keys stored, want %d: %v", len(counts), n+1, counts)
	}
	for k, c := range counts {
		if c != 1 {
			t.Errorf("key %s stored %d times", k, c)
		}
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultDLQStream).Msgs; got != 0 {
		t.Errorf("%d dead letters left, want 0 (resolved)", got)
	}

	code, out, errOut = runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL())
	if code != 0 || !strings.HasSuffix(out, "stored 0, duplicates 6, dead letters 0\n") {
		t.Fatalf("second remap: exit %d\n%s%s", code, out, errOut)
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs; got != n+1 {
		t.Fatalf("%d events after the second run, want %d", got, n+1)
	}

	// The provider retries: the live path answers with remap's events.
	for i := range n {
		a := postJSON(t, base+"/webhooks/shop", refund(i))
		key, _ := a.body["idempotencykey"].(string)
		if a.status != 200 || a.body["duplicate"] != true {
			t.Fatalf("retry %d: %d %s", i, a.status, a.raw)
		}
		if ids[key] == "" || a.body["id"] != ids[key] {
			t.Errorf("retry %d answered %v, remap stored %s under %s", i, a.body["id"], ids[key], key)
		}
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs; got != n+1 {
		t.Errorf("%d events after the retries, want %d", got, n+1)
	}
}

// TestRemapReissue is issue 19's (b): after a rule's data changes, a dry
// run shows each changed delivery with its diff and stores nothing;
// --reissue stores one corrected event per changed delivery, under a new
// key, with supersedes naming the event it corrects; a second --reissue
// stores nothing more.
func TestRemapReissue(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	dir := t.TempDir()
	writeMapping(t, dir, remapShop+refundRule)
	base, _ := remapBridge(t, srv, dir)
	for i := range 3 {
		if a := postJSON(t, base+"/webhooks/shop", fmt.Sprintf(`{"id":"evt_p%d","kind":"paid","order":"ord_%d","total":%d}`, i, i, i+1)); a.status != 202 {
			t.Fatalf("paid %d: %d %s", i, a.status, a.raw)
		}
	}
	if a := postJSON(t, base+"/webhooks/shop", `{"id":"evt_r","kind":"refunded","order":"ord_0","total":1}`); a.status != 202 {
		t.Fatalf("refund: %d %s", a.status, a.raw)
	}
	waitArchived(t, js, 4)
	_, before := eventKeys(t, js)
	// The paid rule now stores the total in cents; the refund rule is as it was.
	writeMapping(t, dir, strings.Replace(remapShop, "total: payload.total", "total: payload.total * 100", 1)+refundRule)

	code, out, errOut := runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL(), "--dry-run")
	if code != 0 || strings.Count(out, "-> would change") != 3 || strings.Count(out, "-> unchanged") != 1 ||
		!strings.Contains(out, "      - data.total: 1\n      + data.total: 100\n") ||
		!strings.HasSuffix(out, "dry run: would have stored 0, duplicates 4, dead letters 0\n") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs; got != 4 {
		t.Fatalf("the dry run stored: %d events", got)
	}

	for run, want := range []string{"stored 3, duplicates 1, dead letters 0\n", "stored 0, duplicates 4, dead letters 0\n"} {
		code, out, errOut = runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL(), "--reissue")
		if code != 0 || !strings.HasSuffix(out, want) {
			t.Fatalf("reissue run %d: exit %d\n%s%s", run, code, out, errOut)
		}
	}
	msgs := natstest.StreamMessages(t, js, publish.DefaultStream)
	if len(msgs) != 7 {
		t.Fatalf("%d events, want the 4 originals and 3 corrections", len(msgs))
	}
	// A dry run afterwards says the corrections are stored already.
	code, out, errOut = runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL(), "--dry-run")
	if code != 0 || strings.Count(out, "(reissued before)") != 3 {
		t.Errorf("dry run after the reissue: exit %d\n%s%s", code, out, errOut)
	}
	superseded := map[string]bool{}
	for _, m := range msgs[4:] {
		var ev map[string]any
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		old, _ := ev["supersedes"].(string)
		data, _ := ev["data"].(map[string]any)
		if old == "" || superseded[old] || ev["type"] != "event.shop.test.order.paid" || data["total"] == nil {
			t.Errorf("correction %s", m.Data)
		}
		superseded[old] = true
		if key := m.Header.Get(publish.HeaderMsgID); key != ev["idempotencykey"] || before[key] != "" {
			t.Errorf("correction stored under key %s (event says %v), an original's key", key, ev["idempotencykey"])
		}
	}
	for key, id := range before {
		paid := false
		for _, m := range msgs[:4] {
			if m.Header.Get(publish.HeaderMsgID) == key && m.Subject == "event.shop.test.order.paid" {
				paid = true
			}
		}
		if paid != superseded[id] {
			t.Errorf("event %s (paid %v) superseded: %v", id, paid, superseded[id])
		}
	}
}

// TestRemapKill9 is issue 19's (d): a bridge remap killed with SIGKILL in
// the middle of its run, then run again, leaves each event once.
func TestRemapKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := bridgeBinary(t)
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := natstest.Context(t, 60*time.Second)
	if err := publish.EnsureStreams(ctx, js, publish.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	acfg := archive.DefaultConfig()
	if err := publish.EnsureStream(ctx, js, publish.DefaultConfig(), acfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	// Deliveries archived while no rule took them.
	const n = 1500
	for i := range n {
		m := archive.Encode(acfg.Prefix, archive.Record{Provider: "shop", Ingest: "webhook", ReceivedAt: time.Now(),
			Key: fmt.Sprintf("k%d", i), ContentType: "application/json", Header: http.Header{"Content-Type": {"application/json"}},
			Body: fmt.Appendf(nil, `{"id":"evt_%d","kind":"refunded","order":"ord_%d","total":%d}`, i, i%50, i)})
		if _, err := js.PublishMsgAsync(m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("archive not written")
	}
	dir := t.TempDir()
	writeMapping(t, dir, remapShop+refundRule)

	cmd := exec.Command(bin, "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL())
	var logs natstest.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	natstest.CheckFor(t, 30*time.Second, 5*time.Millisecond, func() error {
		if got := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs; got < 20 {
			return fmt.Errorf("%d events stored", got)
		}
		return nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	killedAt := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs
	if killedAt >= n {
		t.Fatalf("remap finished (%d events) before it was killed:\n%s", killedAt, logs.String())
	}
	t.Logf("killed after %d of %d events", killedAt, n)

	code, out, errOut := runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL())
	if code != 0 || !strings.HasSuffix(out, "dead letters 0\n") {
		t.Fatalf("rerun: exit %d\n%s", code, errOut)
	}
	counts, _ := eventKeys(t, js)
	if len(counts) != n {
		t.Errorf("%d keys stored, want %d", len(counts), n)
	}
	for k, c := range counts {
		if c != 1 {
			t.Errorf("key %s stored %d times", k, c)
		}
	}
}

// TestRemapBeyondHorizon: a delivery archived longer ago than the
// idempotency store remembers is not stored (its events may be stored
// already, and nothing says so any more); a recent one is.
func TestRemapBeyondHorizon(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := natstest.Context(t, 20*time.Second)
	if err := publish.EnsureStreams(ctx, js, publish.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	acfg := archive.DefaultConfig()
	if err := publish.EnsureStream(ctx, js, publish.DefaultConfig(), acfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{time.Now().Add(-100 * time.Hour), time.Now()} {
		m := archive.Encode(acfg.Prefix, archive.Record{Provider: "shop", Ingest: "webhook", ReceivedAt: at, Key: fmt.Sprint(i),
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   fmt.Appendf(nil, `{"id":"evt_%d","kind":"paid","order":"ord_%d","total":%d}`, i, i, i)})
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeMapping(t, dir, remapShop)
	code, out, errOut := runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", srv.URL())
	if code != 0 || !strings.Contains(out, "#1 webhook") || !strings.Contains(out, "-> beyond horizon: received") ||
		!strings.HasSuffix(out, "stored 1, duplicates 0, dead letters 0, beyond the idempotency horizon (not remapped) 1\n") {
		t.Fatalf("remap: exit %d\n%s%s", code, out, errOut)
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultStream).Msgs; got != 1 {
		t.Errorf("%d events stored, want the recent delivery's", got)
	}
}

// TestRemapLoadsOnlyItsProvider: remap needs the secrets of the provider it
// remaps only (another file's unset secret is no error), and a provider no
// file maps is an error that names the known ones, before NATS is asked.
func TestRemapLoadsOnlyItsProvider(t *testing.T) {
	dir := t.TempDir()
	writeMapping(t, dir, remapShop)
	other := "provider: other\nmodule: m\nwebhook: {signature: {scheme: stripe, secret: '${TEST_REMAP_UNSET_SECRET}'}}\nrules:\n" +
		"  - {name: a, when: 'true', entity_type: a, event_name: b, entity_id: payload.id, source: '\"https://x.example\"'}\n"
	if err := os.WriteFile(filepath.Join(dir, "other.yaml"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runTool(t, "", "remap", "--provider", "Shop", "--mappings", dir, "--nats-url", "nats://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, `bridge remap: no mapping file for provider "Shop" (have other, shop)`) {
		t.Errorf("unknown provider: exit %d, %s", code, errOut)
	}
	code, _, errOut = runTool(t, "", "remap", "--provider", "shop", "--mappings", dir, "--nats-url", "nats://127.0.0.1:1")
	if code != 1 || strings.Contains(errOut, "TEST_REMAP_UNSET_SECRET") || !strings.Contains(errOut, "bridge remap:") {
		t.Errorf("another provider's unset secret: exit %d, %s (want only the NATS error)", code, errOut)
	}
}

// TestRemapResolvesOnlyItsDeliverysDeadLetters: one body that came as two
// deliveries (two keys: the key reads a header), both dead-lettered; a
// remap of the second only deletes the second's dead letter, never the
// first's (the attack of 2026-12-06 lost a Shopify delivery that way).
func TestRemapResolvesOnlyItsDeliverysDeadLetters(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	dir := t.TempDir()
	keyed := strings.Replace(remapShop, "idempotency_key: payload.id", `idempotency_key: 'payload.id + ":" + headers["X-Topic"]'`, 1)
	writeMapping(t, dir, keyed)
	base, _ := remapBridge(t, srv, dir)
	body := `{"id":"evt_1","kind":"refunded","order":"ord_1","total":5}`
	for _, topic := range []string{"first", "second"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/shop", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Topic", topic)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("%s: %d", topic, resp.StatusCode)
		}
	}
	waitArchived(t, js, 2)
	if got := natstest.StreamInfoState(t, js, publish.DefaultDLQStream).Msgs; got != 2 {
		t.Fatalf("%d dead letters, want 2", got)
	}
	writeMapping(t, dir, keyed+refundRule)
	code, out, errOut := runTool(t, "", "remap", "--provider", "shop", "--from-seq", "2", "--mappings", dir, "--nats-url", srv.URL())
	if code != 0 || !strings.Contains(out, "resolved dead letters: 1 (deleted)") || !strings.HasPrefix(out, "#2 ") {
		t.Fatalf("remap: exit %d\n%s%s", code, out, errOut)
	}
	if got := natstest.StreamInfoState(t, js, publish.DefaultDLQStream).Msgs; got != 1 {
		t.Fatalf("%d dead letters left, want the first delivery's", got)
	}
}
