package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "bridge ") {
		t.Errorf("version: exit %d, %q", code, out.String())
	}
	if code := run(nil, nil, &out, &errOut); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code := run([]string{"frobnicate"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"run", "--replicas", "9", "--body-limit", "lots"}, nil, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "--body-limit") || !strings.Contains(errOut.String(), "replicas") {
		t.Errorf("bad flags: exit %d, %q", code, errOut.String())
	}
}

// TestRunRefusesOpenEventsEndpoint: bridge run exits 1 before starting
// anything when a mapping file accepts the events protocol and
// --events-auth is none only by default, naming the file and the setting.
func TestRunRefusesOpenEventsEndpoint(t *testing.T) {
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "gh_x")
	setShippedSecrets(t)
	var out, errOut bytes.Buffer
	code := run([]string{"run", "--mappings", "../../mappings", "--schemas", "../../schemas", "--http", "127.0.0.1:0",
		"--admin", "127.0.0.1:0", "--data", t.TempDir(), "--nats-listen", "127.0.0.1:-1"}, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "guardia.yaml accepts the events protocol") ||
		!strings.Contains(errOut.String(), "--events-auth") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// TestRunBinary builds the real binary and runs `bridge run` as a user
// would, with the embedded JetStream and the example mappings: it serves a
// delivery, and SIGTERM drains it and exits 0.
func TestRunBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mappings, err := filepath.Abs("../../mappings")
	if err != nil {
		t.Fatal(err)
	}
	// Every listener on a port of the OS's choosing, read back from the log.
	cmd := exec.Command(bin, "run", "--mappings", mappings, "--http", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--nats-listen", "127.0.0.1:-1", "--data", filepath.Join(t.TempDir(), "data"), "--log-format", "text", "--events-auth", "none")
	cmd.Env = append(append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_x", "GITHUB_WEBHOOK_SECRET=gh_x"), shippedSecrets...)
	logs := &natstest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	httpAddr, adminAddr := listening(t, logs, exited)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + adminAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bridge not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, err := os.ReadFile("../../examples/pix/pix.single.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+httpAddr+"/webhooks/pix", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Events []struct{ ID, Type string } `json:"events"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || len(answer.Events) != 1 || answer.Events[0].Type != "event.pix.pix.pix.received" {
		t.Fatalf("delivery: %d %+v\n%s", resp.StatusCode, answer, logs.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-ctx.Done():
		t.Fatalf("no exit after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no clean stop in the logs:\n%s", logs.String())
	}
}

// listening waits for a bridge's "bridge started" log line (text format)
// in logs and returns the public and admin addresses it names; it fails
// the test if the process exits first (exited gets its Wait) or after 30s.
func listening(t *testing.T, logs *natstest.Buffer, exited <-chan error) (httpAddr, adminAddr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for line := range strings.Lines(logs.String()) {
			if !strings.Contains(line, `msg="bridge started"`) {
				continue
			}
			h, a := httpAttr.FindStringSubmatch(line), adminAttr.FindStringSubmatch(line)
			if h == nil || a == nil {
				t.Fatalf("no http= and admin= in the start line: %s", line)
			}
			return h[1], a[1]
		}
		select {
		case err := <-exited:
			t.Fatalf("bridge exited before it started: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no \"bridge started\" line after 30s\n%s", logs.String())
		}
	}
}

var (
	httpAttr  = regexp.MustCompile(` http=(\S+)`)
	adminAttr = regexp.MustCompile(` admin=(\S+)`)
)
