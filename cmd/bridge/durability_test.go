package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAcknowledgedMeansSynced runs the real binary with its embedded
// nats-server under strace and sends deliveries one at a time. In the trace,
// every 202 the bridge writes on its HTTP socket must come after an fsync of
// the EVENTS stream's message block and of the idempotency bucket's, both
// completed since the previous 202: what the provider was told is stored is
// on disk, and survives the loss of everything the kernel had not yet
// written. With --sync 2m (the lazy mode) the same trace shows 202s with no
// sync before them, so the check can fail.
func TestAcknowledgedMeansSynced(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace is not installed (.ci/run installs it)")
		}
		t.Skip("strace is not installed")
	}
	bin := bridgeBinary(t)
	const deliveries = 12
	tests := []struct {
		sync     string
		unsynced func(n int) bool // whether n acks without a sync before them is right
		want     string
	}{
		{"always", func(n int) bool { return n == 0 }, "every 202 preceded by both syncs"},
		{"2m", func(n int) bool { return n > 0 }, "202s without a sync before them"},
	}
	for _, tc := range tests {
		t.Run("sync "+tc.sync, func(t *testing.T) {
			dir := t.TempDir()
			tracePath := filepath.Join(dir, "strace.txt")
			a := bridgeAddrs{http: freeAddr(t), admin: freeAddr(t)}
			mappings, _ := filepath.Abs("../../mappings")
			schemas, _ := filepath.Abs("../../schemas")
			cmd := exec.Command(strace, "-f", "-qq", "-y", "-s", "16", "-e", "signal=none",
				"-e", "trace=fsync,fdatasync,write,writev,sendto,sendmsg", "-o", tracePath,
				bin, "run", "--mappings", mappings, "--schemas", schemas, "--http", a.http, "--admin", a.admin,
				"--data", filepath.Join(dir, "data"), "--nats-listen", "127.0.0.1:-1", "--sync", tc.sync,
				"--log-format", "text", "--request-timeout", "5s", "--grace", "5s")
			cmd.Env = append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_x", "GITHUB_WEBHOOK_SECRET=gh_x")
			p := &proc{cmd: cmd, logs: &syncBuffer{}, exited: make(chan error, 1)}
			cmd.Stdout, cmd.Stderr = p.logs, p.logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { p.exited <- cmd.Wait() }()
			t.Cleanup(func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					<-p.exited
				}
				if t.Failed() {
					t.Logf("bridge logs:\n%s", p.logs.String())
				}
			})
			waitReady(t, "http://"+a.admin+"/readyz", p)

			client := &http.Client{Timeout: 10 * time.Second}
			for i := range deliveries {
				resp, err := client.Post("http://"+a.http+"/webhooks/pix", "application/json", bytes.NewReader(pixDelivery(i)))
				if err != nil {
					t.Fatal(err)
				}
				var body struct{ Events []struct{ ID string } }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted || len(body.Events) != 1 {
					t.Fatalf("delivery %d: %d with %d events, want 202 with one", i, resp.StatusCode, len(body.Events))
				}
			}
			// Stop the bridge (strace's child) with SIGTERM; strace exits
			// with it, its trace complete.
			stopTraced(t, cmd.Process.Pid, p)

			acks, unsynced := checkTrace(t, tracePath)
			if acks != deliveries {
				t.Fatalf("the trace holds %d 202 answers, want %d", acks, deliveries)
			}
			t.Logf("--sync %s: %d 202s, %d without both syncs before them", tc.sync, acks, len(unsynced))
			if !tc.unsynced(len(unsynced)) {
				t.Errorf("--sync %s: %d of %d 202s had no fsync of both EVENTS and the idempotency bucket since the previous one (%v); want %s",
					tc.sync, len(unsynced), acks, unsynced, tc.want)
			}
		})
	}
}

// stopTraced sends SIGTERM to strace's child, the bridge, and waits for
// strace to exit.
func stopTraced(t *testing.T, stracePid int, p *proc) {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", stracePid, stracePid))
	if err != nil {
		t.Fatalf("strace's child: %v", err)
	}
	fields := strings.Fields(string(raw))
	if len(fields) != 1 {
		t.Fatalf("strace has children %q, want the bridge alone", raw)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("strace/bridge: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the bridge did not exit after SIGTERM")
	}
}

var (
	// 1234  fsync(7</tmp/.../streams/EVENTS/msgs/1.blk>) = 0, possibly
	// split into "<unfinished ...>" and "<... fsync resumed>) = 0".
	traceLine   = regexp.MustCompile(`^(\d+)\s+(.*)$`)
	syncCall    = regexp.MustCompile(`^f(?:data)?sync\(\d+<([^>]*)>`)
	syncResumed = regexp.MustCompile(`^<\.\.\. f(?:data)?sync resumed>\)\s+=\s+0`)
	syncDone    = regexp.MustCompile(`\)\s+=\s+0$`)
	ackWrite    = regexp.MustCompile(`^(?:write|writev|sendto|sendmsg)\(\d+<(?:socket|TCP)[^>]*>, .*"HTTP/1\.1 202`)
)

// checkTrace reads an strace -f -y trace and returns the number of 202
// answers written and the indexes of those that were not preceded, since
// the previous 202, by a completed fsync of an EVENTS message block and of
// a KV_bridge_idem one.
func checkTrace(t *testing.T, path string) (acks int, unsynced []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pending := map[string]string{} // pid -> file of an fsync not yet returned
	var events, idem bool
	synced := func(file string) {
		if strings.HasSuffix(file, ".blk") {
			events = events || strings.Contains(file, "/streams/EVENTS/msgs/")
			idem = idem || strings.Contains(file, "/streams/KV_bridge_idem/msgs/")
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := traceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pid, call := m[1], m[2]
		switch {
		case syncCall.MatchString(call):
			file := syncCall.FindStringSubmatch(call)[1]
			if strings.HasSuffix(call, "<unfinished ...>") {
				pending[pid] = file
			} else if syncDone.MatchString(call) {
				synced(file)
			}
		case syncResumed.MatchString(call):
			synced(pending[pid])
			delete(pending, pid)
		case ackWrite.MatchString(call):
			if !events || !idem {
				unsynced = append(unsynced, acks)
			}
			acks++
			events, idem = false, false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return acks, unsynced
}
