package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// TestMain makes this test binary a worker when a test's handler starts it
// as one (a real process, as the bridge's own binary would be).
func TestMain(m *testing.M) {
	if os.Getenv(WorkerEnv) == "1" {
		os.Exit(WorkerMain(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func testWorker(t *testing.T) *Worker {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Worker{Path: exe}
}

func TestWorkerAnswersAsInProcess(t *testing.T) {
	// Time enough that steps, not the clock, stop the nested count in
	// both, even under the race detector.
	limits := transform.Limits{Time: time.Minute}
	inproc, _ := server(t, Config{Limits: limits})
	isolated, _ := server(t, Config{Worker: testWorker(t), Limits: limits})
	payload := json.RawMessage(example(t, "stripe/charge.succeeded.json"))
	for _, req := range []map[string]any{
		{"provider": "stripe", "payload": payload},
		{"provider": "stripe", "payload": payload, "mapping": mappingText(t, "stripe")},
		{"provider": "stripe", "payload": payload, "mapping": "provider: [oops"},
		{"provider": "evil", "payload": map[string]any{}, "mapping": attack.NestedCount(false)},
	} {
		a, b := postMap(t, inproc, req), postMap(t, isolated, req)
		if a.status != b.status || a.header.Get("Content-Type") != b.header.Get("Content-Type") {
			t.Fatalf("in process %d %s\nworker %d %s", a.status, a.raw, b.status, b.raw)
		}
		// Equal but for the events' ids.
		strip := func(raw []byte) string {
			var v map[string]any
			_ = json.Unmarshal(raw, &v)
			for _, e := range asList(v["events"]) {
				delete(e.(map[string]any), "id")
			}
			out, _ := json.Marshal(v)
			return string(out)
		}
		if strip(a.raw) != strip(b.raw) {
			t.Errorf("in process %s\nworker     %s", a.raw, b.raw)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestWorkerContainsWhatTheBudgetDoesNot(t *testing.T) {
	// Without a budget worth the name, the doubling lets build 64 MiB: the
	// worker, allowed 32 MiB, dies of it, not the daemon.
	wk := testWorker(t)
	wk.Memory = 32 << 20
	srv, _ := server(t, Config{Worker: wk, Limits: transform.Limits{Steps: 1 << 50, Bytes: 1 << 40, Time: time.Hour}})
	a := postMap(t, srv, map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": attack.DoublingLets(false)})
	if a.status != http.StatusUnprocessableEntity || a.body["type"] != "urn:bridge:problem:budget-exceeded" || a.body["limit"] != "worker" {
		t.Fatalf("%d %s, want 422 from the worker's limits", a.status, a.raw)
	}
	if d := fmt.Sprint(a.body["detail"]); !strings.Contains(d, "out of memory") && !strings.Contains(d, "address space") {
		t.Errorf("detail %v: want why the worker died", a.body["detail"])
	}
}

func TestWorkerIsKilledWhenTheClientGoesAway(t *testing.T) {
	set, err := transform.Load("../../mappings", transform.Options{PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Mappings: func() *transform.Set { return set }, MaxConcurrent: 1, Worker: testWorker(t),
		Limits: transform.Limits{Steps: 1 << 50, Bytes: 1 << 30, Time: time.Hour}})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body, _ := json.Marshal(map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": attack.NestedCount(false)})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/map", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if len(h.busy) != 1 {
			return fmt.Errorf("the dry run has not started")
		}
		return nil
	})
	cancel()
	<-done
	// The worker would run for minutes (its CPU limit is 10 s, its wall
	// clock 15 s): the slot frees only because it is killed.
	natstest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if len(h.busy) != 0 {
			return fmt.Errorf("the dry run still runs after its client left")
		}
		return nil
	})
}
