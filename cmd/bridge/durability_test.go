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
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAcknowledgedMeansSynced runs the real binary with its embedded
// nats-server under strace and sends deliveries from several senders at
// once, so that concurrent events share atomic batches. In the trace, the
// 202 the bridge writes on its HTTP socket for an event must come after
// the write of that event into the EVENTS stream's message block and of its
// idempotency record into the bucket's, each followed by an fsync of that
// block file that started after the write and returned before the 202:
// what the provider was told is stored is on disk, and survives the loss
// of everything the kernel had not yet written. With --sync 2m (the lazy
// mode) the same trace shows 202s with no such sync, so the check can fail.
func TestAcknowledgedMeansSynced(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace is not installed (.ci/run installs it)")
		}
		t.Skip("strace is not installed")
	}
	bin := bridgeBinary(t)
	const deliveries, senders = 48, 8
	tests := []struct {
		sync     string
		unsynced func(n int) bool // whether n events acknowledged without their syncs is right
		want     string
	}{
		{"always", func(n int) bool { return n == 0 }, "every event's 202 after the syncs of its writes"},
		{"2m", func(n int) bool { return n > 0 }, "202s without a sync of their event's writes"},
	}
	for _, tc := range tests {
		t.Run("sync "+tc.sync, func(t *testing.T) {
			dir := t.TempDir()
			tracePath := filepath.Join(dir, "strace.txt")
			a := bridgeAddrs{http: "127.0.0.1:0", admin: "127.0.0.1:0"}
			mappings, _ := filepath.Abs("../../mappings")
			schemas, _ := filepath.Abs("../../schemas")
			p := launch(t, exec.Command(strace, "-f", "-qq", "-y", "-s", "65536", "-e", "signal=none",
				"-e", "trace=fsync,fdatasync,write,writev,pwrite64,pwritev,sendto,sendmsg", "-o", tracePath,
				bin, "run", "--mappings", mappings, "--schemas", schemas, "--http", a.http, "--admin", a.admin,
				"--data", filepath.Join(dir, "data"), "--nats-listen", "127.0.0.1:-1", "--sync", tc.sync,
				"--log-format", "text", "--request-timeout", "10s", "--grace", "25s", "--events-auth", "none"))
			a = p.addrs

			client := &http.Client{Timeout: 20 * time.Second}
			work := make(chan int, deliveries)
			for i := range deliveries {
				work <- i
			}
			close(work)
			errs := make(chan error, deliveries)
			var wg sync.WaitGroup
			for range senders {
				wg.Go(func() {
					for i := range work {
						resp, err := client.Post("http://"+a.http+"/webhooks/pix", "application/json", bytes.NewReader(pixDelivery(i)))
						if err != nil {
							errs <- err
							continue
						}
						var body struct{ Events []struct{ ID string } }
						_ = json.NewDecoder(resp.Body).Decode(&body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusAccepted || len(body.Events) != 1 {
							errs <- fmt.Errorf("delivery %d: %d with %d events, want 202 with one", i, resp.StatusCode, len(body.Events))
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			// Stop the bridge (strace's child) with SIGTERM; strace exits
			// with it, its trace complete.
			stopTraced(t, p.cmd.Process.Pid, p)

			tr := readTrace(t, tracePath)
			if tr.acked != deliveries {
				t.Fatalf("the trace holds %d events answered 202, want %d", tr.acked, deliveries)
			}
			t.Logf("--sync %s: %d events answered 202 after %d fsyncs of EVENTS and %d of the bucket; %d without both syncs before their 202; %d writes and %d fsyncs of the raw archive",
				tc.sync, tr.acked, tr.syncs[streamEvents], tr.syncs[streamIdem], len(tr.unsynced), tr.writes[streamRaw], tr.syncs[streamRaw])
			if !tc.unsynced(len(tr.unsynced)) {
				t.Errorf("--sync %s: %d of %d events answered 202 without their syncs (%v); want %s",
					tc.sync, len(tr.unsynced), tr.acked, tr.unsynced, tc.want)
			}
			// Eight senders at once: events that arrive together share a
			// batch, and the batch one sync.
			if tc.sync == "always" && tr.syncs[streamEvents] >= tr.acked {
				t.Errorf("%d fsyncs of EVENTS for %d events: no sync was shared", tr.syncs[streamEvents], tr.acked)
			}
			// The archive (persist mode async) adds no sync per delivery for
			// the deliveries to wait behind.
			if tr.writes[streamRaw] == 0 || tr.syncs[streamRaw] >= tr.acked/4 {
				t.Errorf("%d writes and %d fsyncs of RAW for %d deliveries: want it written, and not synced per write", tr.writes[streamRaw], tr.syncs[streamRaw], tr.acked)
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
	case <-time.After(60 * time.Second): // beyond its --grace: strace slows every syscall
		t.Fatal("the bridge did not exit after SIGTERM")
	}
}

// The two streams whose writes a 202 waits for.
const (
	streamEvents = "/streams/EVENTS/msgs/"
	streamIdem   = "/streams/KV_bridge_idem/msgs/"
	streamRaw    = "/streams/RAW/msgs/" // the raw archive: counted, not required
)

var (
	// 1234  pwrite64(7</tmp/.../streams/EVENTS/msgs/1.blk>, "...", 512, 0) = 512,
	// possibly split into "... <unfinished ...>" and "<... pwrite64 resumed>) = 512".
	traceLine   = regexp.MustCompile(`^(\d+)\s+(.*)$`)
	blkCall     = regexp.MustCompile(`^(fsync|fdatasync|write|writev|pwrite64|pwritev)\(\d+<([^>]*\.blk)>`)
	resumedCall = regexp.MustCompile(`^<\.\.\. (\w+) resumed>.*\)\s+=\s+(-?\d+)`)
	doneCall    = regexp.MustCompile(`\)\s+=\s+(\d+)$`)
	ackWrite    = regexp.MustCompile(`^(?:write|writev|sendto|sendmsg)\(\d+<(?:socket|TCP)[^>]*>, .*"HTTP/1\.1 202`)
	anyUUID     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	ackEventID  = regexp.MustCompile(`\\"id\\":\\"([0-9a-f-]{36})\\"`)
)

// trace is what readTrace found.
type trace struct {
	acked    int            // events answered 202
	unsynced []string       // event ids answered 202 without both syncs of their writes
	syncs    map[string]int // completed fsyncs of each stream's message blocks
	writes   map[string]int // completed writes to each stream's message blocks
}

// span is one fsync of a stream's block file: the lines it began and
// returned on.
type span struct{ start, done int }

// readTrace reads an strace -f -y -s BIG trace. An event answered 202 on
// line n is synced when, for each of its two writes (its message in EVENTS,
// its record, which names the event id, in the bucket), an fsync of that
// stream's block started after the write returned and returned before n.
func readTrace(t *testing.T, path string) trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type pending struct {
		call, file string
		start      int
		ids        []string
	}
	open := map[string]pending{}                                                          // pid -> a block call not yet returned
	written := map[string]map[string]int{streamEvents: {}, streamIdem: {}, streamRaw: {}} // stream -> id -> line its write returned
	spans := map[string][]span{}
	tr := trace{syncs: map[string]int{}, writes: map[string]int{}}
	stream := func(file string) string {
		for _, s := range []string{streamEvents, streamIdem, streamRaw} {
			if strings.Contains(file, s) {
				return s
			}
		}
		return ""
	}
	returned := func(p pending, line int) {
		s := stream(p.file)
		if s == "" {
			return
		}
		if strings.HasPrefix(p.call, "f") {
			spans[s] = append(spans[s], span{p.start, line})
			tr.syncs[s]++
			return
		}
		tr.writes[s]++
		for _, id := range p.ids {
			if _, ok := written[s][id]; !ok {
				written[s][id] = line
			}
		}
	}
	synced := func(s, id string, ack int) bool {
		w, ok := written[s][id]
		if !ok {
			return false
		}
		for _, sp := range spans[s] {
			if sp.start > w && sp.done < ack {
				return true
			}
		}
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for n := 0; sc.Scan(); n++ {
		m := traceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pid, call := m[1], m[2]
		switch {
		case blkCall.MatchString(call):
			c := blkCall.FindStringSubmatch(call)
			p := pending{call: c[1], file: c[2], start: n, ids: anyUUID.FindAllString(call, -1)}
			if strings.HasSuffix(call, "<unfinished ...>") {
				open[pid] = p
			} else if doneCall.MatchString(call) {
				returned(p, n)
			}
		case resumedCall.MatchString(call):
			if p, ok := open[pid]; ok {
				delete(open, pid)
				if r := resumedCall.FindStringSubmatch(call); r[1] == p.call && r[2] != "-1" {
					returned(p, n)
				}
			}
		case ackWrite.MatchString(call):
			for _, id := range ackEventID.FindAllStringSubmatch(call, -1) {
				tr.acked++
				if !synced(streamEvents, id[1], n) || !synced(streamIdem, id[1], n) {
					tr.unsynced = append(tr.unsynced, id[1])
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tr
}
