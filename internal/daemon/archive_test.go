package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// shopOpen maps paid orders, and leaves the others to no_rule; it takes
// all three kinds of delivery.
const shopOpen = `provider: shop
module: test
accepts: [webhook, nats, events]
webhook: {signature: {scheme: none}}
idempotency_key: payload.id
rules:
  - name: paid
    when: payload.kind == "paid"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
    data:
      total: payload.total
`

func shopBridge(t *testing.T, mapping string, edit func(*config.Config)) *bridge {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(mapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return startBridge(t, natstest.Start(t), func(c *config.Config) {
		c.Mappings = dir
		if edit != nil {
			edit(c)
		}
	})
}

// rawRecords reads the RAW stream.
func rawRecords(t *testing.T, b *bridge) []archive.Record {
	t.Helper()
	var out []archive.Record
	for _, m := range natstest.StreamMessages(t, b.js, archive.DefaultStream) {
		r, err := archive.Decode(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestArchiveKeepsEveryDoor: a delivery through each door (webhook, NATS
// stream, NATS request, events protocol), stored or dead-lettered, is
// kept in RAW on raw.<provider>.<ingest>, its body byte for byte, its key
// the one it was answered with, and no credential header.
func TestArchiveKeepsEveryDoor(t *testing.T) {
	b := shopBridge(t, shopOpen, nil)
	webhookBody := []byte(` {"id":"ord_1", "kind":"paid","total":12}`)
	req, err := http.NewRequest(http.MethodPost, b.base+"/webhooks/shop", bytes.NewReader(webhookBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "req-1")
	req.Header.Set("Authorization", "Bearer do-not-keep")
	r := do(t, req)
	if r.status != 202 {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	key := r.body["idempotencykey"]
	if r := post(t, b.base+"/webhooks/shop", []byte(`{"id":"ord_2","kind":"refunded"}`), nil); r.status != 202 || r.body["dead_lettered"] != true {
		t.Fatalf("unmapped webhook: %d %s", r.status, r.raw)
	}
	natsBody := []byte(`{"id":"ord_3","kind":"paid","total":3}`)
	if _, err := b.js.PublishMsg(ctxFor(t), &nats.Msg{Subject: "ingest.shop", Data: natsBody, Header: nats.Header{"X-Api-Key": {"do-not-keep"}}}); err != nil {
		t.Fatal(err)
	}
	nc, _ := natstest.Connect(t, b.NATSURL())
	if _, err := nc.RequestWithContext(ctxFor(t), "bridge.ingest.shop", []byte(`{"id":"ord_4","kind":"paid","total":4}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := send(t, b, "/events/", "shop:order:pay", map[string]any{"id": "ord_5", "kind": "paid", "total": 5}); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, func() error {
		if n := len(rawRecords(t, b)); n != 5 {
			return fmt.Errorf("%d records, want 5", n)
		}
		return nil
	})
	subjects := map[string]int{}
	for _, rec := range rawRecords(t, b) {
		subjects[rec.Subject]++
		for name := range rec.Header {
			if strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "X-Api-Key") {
				t.Errorf("record %d keeps %s", rec.Seq, name)
			}
		}
		if rec.Key == "" || rec.ReceivedAt.IsZero() || rec.Provider != "shop" {
			t.Errorf("record %d: %+v", rec.Seq, rec)
		}
		switch {
		case bytes.Contains(rec.Body, []byte("ord_1")):
			if !bytes.Equal(rec.Body, webhookBody) || rec.Key != key || rec.ContentType != "application/json" || rec.Header.Get("X-Request-Id") != "req-1" {
				t.Errorf("webhook record: key %s (answered %v), content type %q, headers %v, body %q", rec.Key, key, rec.ContentType, rec.Header, rec.Body)
			}
		case bytes.Contains(rec.Body, []byte("ord_3")):
			if !bytes.Equal(rec.Body, natsBody) {
				t.Errorf("nats record body %q", rec.Body)
			}
		}
	}
	want := map[string]int{"raw.shop.webhook": 2, "raw.shop.nats": 2, "raw.shop.events": 1}
	for s, n := range want {
		if subjects[s] != n {
			t.Errorf("subjects %v, want %v", subjects, want)
			break
		}
	}
}

// TestArchiveDownDeliveriesAnswered: with the RAW stream gone, deliveries
// are answered and stored as ever; what could not be archived is counted
// in bridge_archive_failed_total and the lag drains to 0.
func TestArchiveDownDeliveriesAnswered(t *testing.T) {
	b := shopBridge(t, shopOpen, nil)
	if err := b.js.DeleteStream(ctxFor(t), archive.DefaultStream); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		r := post(t, b.base+"/webhooks/shop", fmt.Appendf(nil, `{"id":"ord_%d","kind":"paid","total":%d}`, i, i), nil)
		if r.status != 202 || r.body["id"] == nil {
			t.Fatalf("delivery %d: %d %s", i, r.status, r.raw)
		}
	}
	if got := streamMsgs(t, b.js, "EVENTS"); got != n {
		t.Fatalf("%d events stored, want %d", got, n)
	}
	checkFor(t, 15*time.Second, func() error {
		s := scrape(t, b)
		if s[`bridge_archive_failed_total{reason="publish"}`] != n || s["bridge_archive_pending"] != 0 {
			return fmt.Errorf("failed %v, pending %v", s[`bridge_archive_failed_total{reason="publish"}`], s["bridge_archive_pending"])
		}
		return nil
	})
}

// TestArchiveOff: with --archive=false nothing is kept and no RAW stream
// is made.
func TestArchiveOff(t *testing.T) {
	b := shopBridge(t, shopOpen, func(c *config.Config) { c.Archive.Enabled = false })
	if r := post(t, b.base+"/webhooks/shop", []byte(`{"id":"ord_1","kind":"paid","total":1}`), nil); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if _, err := b.js.Stream(ctxFor(t), archive.DefaultStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("RAW with the archive off: %v", err)
	}
}

// TestRemapDryRunAPI: POST /api/remap dry-runs the running mappings over
// the archive: a delivery dead-lettered then is new now, a stored one
// unchanged, nothing is stored; bad requests are answered 400 or 415
// problem+json naming what is wrong.
func TestRemapDryRunAPI(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(shopOpen), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.Mappings = dir })
	if r := post(t, b.base+"/webhooks/shop", []byte(`{"id":"ord_1","kind":"paid","total":1}`), nil); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := post(t, b.base+"/webhooks/shop", []byte(`{"id":"ord_2","kind":"refunded","total":2}`), nil); r.body["reason"] != "no_rule" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	checkFor(t, 10*time.Second, func() error {
		if n := len(rawRecords(t, b)); n != 2 {
			return fmt.Errorf("%d records", n)
		}
		return nil
	})
	refund := strings.Replace(shopOpen, `payload.kind == "paid"`, `payload.kind in ["paid", "refunded"]`, 1)
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(refund), 0o600); err != nil {
		t.Fatal(err)
	}
	var r reply
	checkFor(t, 10*time.Second, func() error { // until the daemon has reloaded the file
		r = post(t, b.admin+"/api/remap", []byte(`{"provider":"shop","since":"1h"}`), nil)
		if r.status != 200 || !strings.Contains(string(r.raw), `"outcome":"new"`) {
			return fmt.Errorf("%d %s", r.status, r.raw)
		}
		return nil
	})
	results, _ := r.body["results"].([]any)
	if len(results) != 2 || r.body["summary"] != "dry run: would have stored 1, duplicates 1, dead letters 0" || r.body["truncated"] != false {
		t.Errorf("dry run: %s", r.raw)
	}
	if !strings.Contains(string(r.raw), `"resolved_dead_letters":[1]`) {
		t.Errorf("the dead letter it would resolve is not named: %s", r.raw)
	}
	if got := streamMsgs(t, b.js, "EVENTS"); got != 1 {
		t.Errorf("the dry run stored: %d events", got)
	}
	if r := post(t, b.admin+"/api/remap", []byte(`{"provider":"shop","limit":1}`), nil); r.status != 200 || r.body["truncated"] != true {
		t.Errorf("limit 1: %d %s", r.status, r.raw)
	}
	for body, want := range map[string]string{
		`{"provider":"shop","dry_run":false}`: "only dry-runs",
		`{}`:                                  `provider ""`,
		`{"provider":"shop","since":"1h","from_seq":2}`: "give one of them",
		`{"provider":"shop","limit":5000}`:              "limit 5000",
		`{"provider":"shop","bogus":1}`:                 "unknown field",
	} {
		r := post(t, b.admin+"/api/remap", []byte(body), nil)
		if detail, _ := r.body["detail"].(string); r.status != 400 || !strings.Contains(detail, want) {
			t.Errorf("%s: %d %s, want 400 saying %q", body, r.status, r.raw, want)
		}
	}
	if r := post(t, b.admin+"/api/remap", []byte(`{"provider":"shop"}`), map[string]string{"Content-Type": "text/plain"}); r.status != 415 {
		t.Errorf("text/plain: %d %s", r.status, r.raw)
	}
}
