package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// postPix stores delivery i through the bridge and returns its event's id.
func postPix(t *testing.T, a bridgeAddrs, i int) string {
	t.Helper()
	resp, err := http.Post("http://"+a.http+"/webhooks/pix", "application/json", bytes.NewReader(pixDelivery(i)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Events []struct{ ID string } `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusAccepted || len(ans.Events) != 1 {
		t.Fatalf("delivery %d: %s, %+v, %v", i, resp.Status, ans, err)
	}
	return ans.Events[0].ID
}

// TestEventsCommands runs bridge events list, events get and tail, as the
// real binary, against a real bridge: what a webhook stored is shown, by
// type, entity and id, and a new event reaches tail.
func TestEventsCommands(t *testing.T) {
	srv := natstest.Start(t)
	p := startProc(t, bridgeAddrs{nats: srv.URL()})
	first := postPix(t, p.addrs, 1)
	second := postPix(t, p.addrs, 2)

	bin := bridgeBinary(t)
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Env = append(os.Environ(), "BRIDGE_NATS_URL=")
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}

	out, errs, code := cli("events", "list", "--nats-url", srv.URL())
	if code != 0 || !strings.Contains(out, first) || !strings.Contains(out, second) || !strings.Contains(out, "event.pix.") {
		t.Fatalf("events list: exit %d\n%s\n%s", code, out, errs)
	}
	// The NATS URL from a config file, as bridge run reads it.
	cfgFile := filepath.Join(t.TempDir(), "bridge.yaml")
	if err := os.WriteFile(cfgFile, []byte("nats:\n  url: "+srv.URL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code = cli("events", "list", "--config", cfgFile, "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("events list --config --json: exit %d\n%s\n%s", code, out, errs)
	}
	var listed struct {
		Seq   uint64 `json:"seq"`
		Event struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		} `json:"event"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &listed); err != nil || listed.Event.ID != second || listed.Seq != 2 {
		t.Fatalf("events list --json line: %v, %s", err, lines[1])
	}
	_, entityID, _ := strings.Cut(listed.Event.Subject, "/")
	for _, entity := range []string{listed.Event.Subject, entityID} {
		out, errs, code = cli("events", "list", "--nats-url", srv.URL(), "--entity", entity)
		if code != 0 || !strings.Contains(out, second) || strings.Contains(out, first) {
			t.Errorf("events list --entity %s: exit %d\n%s\n%s", entity, code, out, errs)
		}
	}

	out, errs, code = cli("events", "get", first, "--nats-url", srv.URL())
	if code != 0 || !strings.Contains(out, `"id": "`+first+`"`) || !strings.Contains(out, `"specversion": "1.0"`) {
		t.Fatalf("events get: exit %d\n%s\n%s", code, out, errs)
	}
	_, errs, code = cli("events", "get", "01890000-0000-7000-8000-000000000000", "--nats-url", srv.URL())
	if code != 1 || !strings.Contains(errs, "no stored event has this id") {
		t.Errorf("events get of an unknown id: exit %d, %s", code, errs)
	}
	_, errs, code = cli("events", "list", "--since", "1x", "--nats-url", srv.URL())
	if code != 2 || !strings.Contains(errs, "-since") || !strings.Contains(errs, "7d") {
		t.Errorf("--since 1x: exit %d, %s", code, errs)
	}
	_, errs, code = cli("events", "list", "--type", "pix.payments")
	if code != 2 || !strings.Contains(errs, "--type") {
		t.Errorf("--type pix.payments: exit %d, %s", code, errs)
	}

	// tail: the events of the last hour, then a new one as it is stored.
	tail := exec.Command(bin, "tail", "--since", "1h", "--type", "event.pix.>", "--nats-url", srv.URL())
	stdout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tail.Process.Kill(); _ = tail.Wait() })
	ids := make(chan string, 10)
	go func() {
		dec := json.NewDecoder(bufio.NewReader(stdout))
		for {
			var e struct {
				Event struct{ ID string } `json:"event"`
			}
			if dec.Decode(&e) != nil {
				close(ids)
				return
			}
			ids <- e.Event.ID
		}
	}()
	want := []string{first, second, ""}
	for i := range want {
		if i == 2 {
			want[2] = postPix(t, p.addrs, 3)
		}
		select {
		case id := <-ids:
			if id != want[i] {
				t.Fatalf("tail: event %d is %s, want %s", i, id, want[i])
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("tail printed no event %d (want %s)", i, want[i])
		}
	}
}
