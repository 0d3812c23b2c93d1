package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// nestedCountMapping loops three times over the payload's items: 500^3
// iterations for 500 items.
func nestedCountMapping() string {
	return attack.Mapping(true, nil, "count(payload.items, count(payload.items, count(payload.items, # > 0) == len(payload.items)) == len(payload.items))")
}

// TestHostileMappingsDoNotHurtTheDaemon posts the doubling-let and the
// nested-count mappings to the playground of a running daemon, and a
// delivery that loops over its payload, while signed webhooks keep coming:
// the dry runs are answered 422, the delivery is dead-lettered as an
// eval_error naming the budget, every webhook is stored, and the process
// stays under 512 MiB.
func TestHostileMappingsDoNotHurtTheDaemon(t *testing.T) {
	dir := t.TempDir()
	shipped, err := filepath.Glob("../../mappings/*.yaml")
	if err != nil || len(shipped) == 0 {
		t.Fatalf("shipped mappings: %v", err)
	}
	for _, f := range shipped {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "evil.yaml"), []byte(nestedCountMapping()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The default request timeout: above the evaluation's time budget, so
	// that an over-budget delivery is dead-lettered rather than timed out.
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.Mappings, c.RequestTimeout = dir, 10*time.Second })

	// Signed deliveries all along.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent int
	var bad []string
	example := readExample(t, "stripe/charge.succeeded.json")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 5000; i++ { // bounded; stopped when the attack ends
			select {
			case <-stop:
				return
			default:
			}
			body := bytes.Replace(example, []byte("evt_3S5kR2LkdIwHu7ix1Zx8yW7v"), fmt.Appendf(nil, "evt_budget_%d", i), 1)
			req, _ := http.NewRequest(http.MethodPost, b.base+"/webhooks/stripe", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Stripe-Signature", stripeSign(body, time.Now()))
			resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
			mu.Lock()
			sent++
			switch {
			case err != nil:
				bad = append(bad, err.Error())
			case resp.StatusCode != http.StatusAccepted:
				bad = append(bad, resp.Status)
			}
			mu.Unlock()
			if err == nil {
				resp.Body.Close()
			}
		}
	}()

	// Wait for the deliveries to flow, then attack while they do.
	checkFor(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if sent == 0 {
			return fmt.Errorf("no webhook answered yet")
		}
		return nil
	})
	mu.Lock()
	sentBefore := sent
	mu.Unlock()
	items := make([]int, 500)
	payload := map[string]any{"id": "evil-1", "items": items}
	client := &http.Client{Timeout: 30 * time.Second} // a guard against a hang, not a measure
	for name, mapping := range map[string]string{"doubling lets": attack.DoublingLets(true), "nested count": nestedCountMapping()} {
		for range 2 {
			body, _ := json.Marshal(map[string]any{"provider": "evil", "payload": payload, "mapping": mapping})
			resp, err := client.Post(b.admin+"/api/map", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var p map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnprocessableEntity || p["type"] != "urn:bridge:problem:budget-exceeded" {
				t.Errorf("%s: %d %v, want 422 budget-exceeded", name, resp.StatusCode, p)
			}
		}
	}

	// The same loop in production: the delivery is dead-lettered.
	raw, _ := json.Marshal(payload)
	r := post(t, b.base+"/webhooks/evil", raw, nil)
	if r.status != http.StatusAccepted || r.body["dead_lettered"] != true || r.body["reason"] != "eval_error" {
		t.Errorf("over-budget delivery: %d %s, want 202 dead-lettered eval_error", r.status, r.raw)
	}
	dl := lastMsg(t, b.js, "EVENTS_DLQ", "dlq.evil.eval_error")
	if e := dl.Header.Get(deadletter.HeaderError); !strings.Contains(e, "budget") || !strings.Contains(e, "data.x") ||
		!strings.Contains(e, "steps") && !strings.Contains(e, "took longer") { // steps; time under the race detector
		t.Errorf("dead letter error %q: want the budget, the limit and the field", e)
	}
	if rule := dl.Header.Get(deadletter.HeaderRule); rule != "evil" {
		t.Errorf("dead letter rule %q", rule)
	}

	mu.Lock()
	during := sent - sentBefore
	mu.Unlock()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if during == 0 || len(bad) > 0 {
		t.Errorf("%d webhooks answered during the attack; failures: %v", during, bad)
	}
	if rss := mustPeakRSS(t, 0); rss >= 512<<20 {
		t.Errorf("peak RSS %d MiB, want under 512 MiB", rss>>20)
	} else {
		t.Logf("peak RSS %d MiB; %d webhooks stored during the attack, %d in all", rss>>20, during, sent)
	}
}

// mustPeakRSS is attack.PeakRSS, failing the test on an error.
func mustPeakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	rss, err := attack.PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	return rss
}
