package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestPlaygroundDryRunsRunInWorkers runs the real binary and posts a
// mapping that doubles a string 22 times to its playground: the dry run is
// a `bridge map-worker` child, answered 422, and the daemon's own memory
// does not grow with it.
func TestPlaygroundDryRunsRunInWorkers(t *testing.T) {
	srv := natstest.Start(t)
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	a := p.addrs

	body, _ := json.Marshal(map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": attack.DoublingLets(false)})
	client := &http.Client{Timeout: 30 * time.Second} // a guard against a hang
	for range 3 {
		resp, err := client.Post("http://"+a.admin+"/api/map", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var prob map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&prob)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || prob["type"] != "urn:bridge:problem:budget-exceeded" || prob["limit"] != "bytes" {
			t.Fatalf("%d %v, want 422 over the bytes budget", resp.StatusCode, prob)
		}
	}
	// A payload that maps still does, through a worker too.
	ok, _ := json.Marshal(map[string]any{"provider": "stripe", "payload": json.RawMessage(mustRead(t, "../../examples/stripe/charge.succeeded.json"))})
	resp, err := client.Post("http://"+a.admin+"/api/map", "application/json", bytes.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	var ans map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(ans["events"].([]any)) != 1 {
		t.Fatalf("%d %v, want the stripe event", resp.StatusCode, ans)
	}
	if rss := mustPeakRSS(t, p.cmd.Process.Pid); rss >= 256<<20 {
		t.Errorf("the daemon's peak RSS is %d MiB", rss>>20)
	} else {
		t.Logf("the daemon's peak RSS: %d MiB", rss>>20)
	}
}

// TestMapWorkerLimitsItself gives the real `bridge map-worker` a dry run
// with no evaluation budget to speak of and 32 MiB of memory: the mapping
// builds 64 MiB, and the worker dies of it.
func TestMapWorkerLimitsItself(t *testing.T) {
	job, _ := json.Marshal(map[string]any{"path": "evil.yaml", "text": attack.DoublingLets(false), "body": []byte("{}"), "received_at": time.Now(),
		"limits": map[string]any{"Steps": int64(1) << 50, "Bytes": int64(1) << 40, "Time": time.Hour}, "memory": 32 << 20, "cpu": 10 * time.Second})
	cmd := exec.Command(bridgeBinary(t), "map-worker")
	cmd.Stdin = bytes.NewReader(job)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), "out of memory") {
		t.Fatalf("exit %v, stdout %.200s, stderr %.300s: want the worker dead of its memory limit", err, stdout.String(), stderr.String())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
