package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/config"
)

// BenchmarkWebhookStripe measures whole deliveries over real HTTP: signature
// check, transform, and a JetStream publish acknowledged by the embedded
// server (file store), from 16 x GOMAXPROCS concurrent clients. Every
// delivery has its own event id, so none is de-duplicated.
func BenchmarkWebhookStripe(b *testing.B) {
	for _, archive := range []bool{true, false} { // the raw archive's cost
		b.Run(fmt.Sprintf("archive=%v", archive), func(b *testing.B) { benchWebhookStripe(b, archive) })
	}
}

func benchWebhookStripe(b *testing.B, archive bool) {
	bb := startBridgeB(b, archive)
	tmpl := readExample(b, "stripe/charge.succeeded.json")
	var n atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bytes.Replace(tmpl, []byte(`"evt_`), fmt.Appendf(nil, `"evt_bench%d_`, n.Add(1)), 1)
			req, _ := http.NewRequest(http.MethodPost, bb.base+"/webhooks/stripe", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Stripe-Signature", stripeSign(body, time.Now()))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func startBridgeB(b *testing.B, archive bool) *bridge {
	b.Helper()
	b.Setenv("STRIPE_WEBHOOK_SECRET", stripeSecret)
	b.Setenv("GITHUB_WEBHOOK_SECRET", githubSecret)
	setShippedSecrets(b)
	cfg := config.Default()
	cfg.HTTP, cfg.Admin, cfg.Mappings, cfg.Schemas = "127.0.0.1:0", "127.0.0.1:0", "../../mappings", "../../schemas"
	cfg.EmbeddedNATS.Listen, cfg.EmbeddedNATS.StoreDir = "127.0.0.1:-1", b.TempDir()
	cfg.EventsAuthSource = "flag --events-auth" // guardia.yaml accepts events: open on purpose
	cfg.Archive.Enabled = archive
	d, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	return &bridge{Daemon: d, base: "http://" + d.HTTPAddr()}
}
