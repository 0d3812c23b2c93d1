package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/archive"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// authorizationBlock is the nats-server `authorization` block of
// docs/security.md, as written there.
func authorizationBlock(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```conf\n(authorization \\{.*?\n\\})\n```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/security.md has no ```conf block holding the authorization block")
	}
	return string(m[1])
}

// TestLeastPrivilegeNATSUser runs a nats-server with the user of
// docs/security.md and a daemon connected as that user through everything
// it does with JetStream: a missing permission fails a step.
func TestLeastPrivilegeNATSUser(t *testing.T) {
	const password = "bridge-user-password"
	t.Setenv("BRIDGE_NATS_PASSWORD", password) // read by nats-server for $BRIDGE_NATS_PASSWORD

	// The documented block, plus an administrator who sets up the streams.
	block := authorizationBlock(t)
	block = strings.Replace(block, "users = [", "users = [\n    {user: admin, password: admin}", 1)
	dir := t.TempDir()
	conf := filepath.Join(dir, "nats-server.conf")
	text := fmt.Sprintf("host: 127.0.0.1\nport: -1\njetstream {\n  store_dir: %q\n}\n%s\n", filepath.Join(dir, "js"), block)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("the documented block does not load in nats-server: %v\n%s", err, text)
	}
	opts.NoSigs, opts.NoLog = true, true
	url := runNATS(t, opts)

	// The operator creates the streams; the bridge may not.
	anc, admin := natstest.Connect(t, url, nats.UserInfo("admin", "admin"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pcfg := publish.DefaultConfig()
	if err := publish.EnsureStreams(ctx, admin, pcfg); err != nil {
		t.Fatal(err)
	}
	if err := publish.EnsureStream(ctx, admin, pcfg, ingest.DefaultNATSConfig().StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	if err := publish.EnsureStream(ctx, admin, pcfg, archive.DefaultConfig().StreamConfig(1)); err != nil {
		t.Fatal(err)
	}

	// Mappings in a directory of the test's own, so a rule can be taken
	// away and given back.
	mappings := t.TempDir()
	stripe, err := os.ReadFile("../../mappings/stripe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeMapping := func(text []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(mappings, "stripe.yaml"), text, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeMapping(bytes.Replace(stripe, []byte(`payload.type == "charge.succeeded"`), []byte(`payload.type == "charge.succeeded.not_yet"`), 1))

	logs := &logBuffer{}
	cfg := loadConfig(t, map[string]string{"BRIDGE_NATS_PASSWORD": password},
		"--nats-url", url, "--nats-user", "bridge", "--manage-streams=false", "--mappings", mappings)
	d, err := startDaemon(t, cfg, logs, 30*time.Second)
	if err != nil {
		t.Fatalf("Start as the least-privilege user: %v", err)
	}
	base, adminAPI := "http://"+d.HTTPAddr(), "http://"+d.AdminAddr()
	charge := readExample(t, "stripe/charge.succeeded.json")
	postCharge := func() reply {
		t.Helper()
		return post(t, base+"/webhooks/stripe", charge, map[string]string{"Stripe-Signature": stripeSign(charge, time.Now())})
	}

	t.Run("readiness", func(t *testing.T) {
		if r := do(t, mustRequest(t, http.MethodGet, adminAPI+"/readyz")); r.status != http.StatusOK {
			t.Fatalf("readyz: %d %s", r.status, r.raw)
		}
	})
	t.Run("dead letter", func(t *testing.T) {
		if r := postCharge(); r.status != http.StatusAccepted || r.body["dead_lettered"] != true {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		r := do(t, mustRequest(t, http.MethodGet, adminAPI+"/api/dlq"))
		if r.status != http.StatusOK || !bytes.Contains(r.raw, []byte(`"no_rule"`)) {
			t.Fatalf("GET /api/dlq: %d %s", r.status, r.raw)
		}
	})
	t.Run("replay", func(t *testing.T) {
		writeMapping(stripe)
		if err := d.Reload(); err != nil {
			t.Fatal(err)
		}
		r := post(t, adminAPI+"/api/dlq/replay", []byte(`{}`), nil)
		if r.status != http.StatusOK || r.body["done"] != true {
			t.Fatalf("replay: %d %s", r.status, r.raw)
		}
		if n := streamMsgs(t, admin, "EVENTS_DLQ"); n != 0 {
			t.Errorf("%d dead letters left after the replay, want 0 (deleted)", n)
		}
	})
	t.Run("duplicate from the bucket", func(t *testing.T) {
		if r := postCharge(); r.status != http.StatusOK || r.body["duplicate"] != true {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	})
	t.Run("duplicate from the stream", func(t *testing.T) {
		// Forgotten by the bucket, the delivery is still a duplicate within
		// the stream's window, answered with the stored original's id.
		kv, err := admin.KeyValue(ctx, "bridge_idem")
		if err != nil {
			t.Fatal(err)
		}
		keys, err := kv.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k := range keys.Keys() {
			if err := kv.Purge(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		if r := postCharge(); r.status != http.StatusOK || r.body["duplicate"] != true || r.body["id"] == nil {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	})
	t.Run("NATS ingest", func(t *testing.T) {
		refund := readExample(t, "stripe/charge.refunded.json")
		if _, err := admin.Publish(ctx, "ingest.stripe", refund); err != nil {
			t.Fatal(err)
		}
		checkFor(t, 10*time.Second, func() error {
			if n := streamMsgs(t, admin, "INGEST"); n != 0 {
				return fmt.Errorf("INGEST still holds %d message(s): not acknowledged", n)
			}
			return nil
		})
		lastMsg(t, admin, "EVENTS", "event.stripe.payments.charge.refunded")
	})
	t.Run("request reply", func(t *testing.T) {
		msg, err := anc.Request("bridge.ingest.stripe", readExample(t, "stripe/payment_intent.succeeded.json"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(msg.Data, &body); err != nil || body["type"] != "event.stripe.payments.payment_intent.succeeded" {
			t.Fatalf("reply %s (%v)", msg.Data, err)
		}
	})
	t.Run("archive and remap dry run", func(t *testing.T) {
		checkFor(t, 10*time.Second, func() error {
			if n := streamMsgs(t, admin, "RAW"); n == 0 {
				return errors.New("nothing archived")
			}
			return nil
		})
		r := post(t, adminAPI+"/api/remap", []byte(`{"provider":"stripe"}`), nil)
		if r.status != http.StatusOK || !bytes.Contains(r.raw, []byte(`"outcome":"unchanged"`)) {
			t.Fatalf("POST /api/remap: %d %s", r.status, r.raw)
		}
	})
	t.Run("no permission errors", func(t *testing.T) {
		if errs := logs.records(t, "nats error"); len(errs) > 0 {
			t.Errorf("the bridge hit permission errors: %v", errs)
		}
	})
	t.Run("cannot manage streams", func(t *testing.T) {
		// A refused request gets no answer: a short deadline is enough, and
		// the administrator checks nothing changed.
		_, js := natstest.Connect(t, url, nats.UserInfo("bridge", password), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		short := func() context.Context {
			c, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			t.Cleanup(cancel)
			return c
		}
		_ = js.DeleteStream(short(), "EVENTS")
		_, _ = js.CreateStream(short(), jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
		if _, err := admin.Stream(ctx, "EVENTS"); err != nil {
			t.Errorf("EVENTS after the bridge's user tried to delete it: %v", err)
		}
		if _, err := admin.Stream(ctx, "OTHER"); err == nil {
			t.Error("the bridge's user created a stream")
		}
	})
}
