package subscriber_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/subscriber"
)

// The crash test runs a subscriber in a child process, this test binary
// started again with crashChildEnv set, and kills it with SIGKILL.
const (
	crashChildEnv   = "SUBSCRIBER_CRASH_CHILD" // "tx" or "kv": the child's Store
	crashURLEnv     = "SUBSCRIBER_CRASH_NATS_URL"
	crashRecordEnv  = "SUBSCRIBER_CRASH_RECORD"
	crashChildConc  = 4
	crashChildPause = 10 * time.Millisecond // each handler call, so that kills land mid-handler
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(crashChildEnv); mode != "" {
		os.Exit(crashChild(mode))
	}
	os.Exit(m.Run())
}

// record is the child's durable log of what its handler did, one line per
// call: "key id subject n", written and fsynced before the handler returns.
// In "tx" mode it is also the subscriber's Store: the handler's write and
// the idempotency record are the same line, one step, as a handler with
// its own database would do it.
type record struct {
	mu   sync.Mutex
	f    *os.File
	keys map[string]bool
}

// openRecord opens path for appending; a line cut by a kill is dropped
// first (the database's recovery), and the complete ones are loaded.
func openRecord(path string) (*record, error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, err
	}
	r := &record{keys: map[string]bool{}}
	for _, l := range parseRecord(b) {
		r.keys[l.key] = true
	}
	r.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	return r, err
}

func (r *record) handle(e event.Event) error {
	var d struct{ N int }
	if err := e.DataAs(&d); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := fmt.Fprintf(r.f, "%s %s %s %d\n", subscriber.KeyOf(e), e.ID(), e.Subject(), d.N); err != nil {
		return err
	}
	if err := r.f.Sync(); err != nil {
		return err
	}
	r.keys[subscriber.KeyOf(e)] = true
	return nil
}

func (r *record) IsDone(_ context.Context, key string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[key], nil
}

func (r *record) MarkDone(context.Context, string) error { return nil } // handle wrote it

type recordLine struct {
	key, id, subject string
	n                int
}

func parseRecord(b []byte) []recordLine {
	var out []recordLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		n, _ := strconv.Atoi(f[3])
		out = append(out, recordLine{f[0], f[1], f[2], n})
	}
	return out
}

func crashChild(mode string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	fail := func(err error) int { log.Error("child", "error", err); return 1 }
	rec, err := openRecord(os.Getenv(crashRecordEnv))
	if err != nil {
		return fail(err)
	}
	nc, err := nats.Connect(os.Getenv(crashURLEnv), nats.MaxReconnects(-1))
	if err != nil {
		return fail(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	cfg := subscriber.Config{Name: "crash", Concurrency: crashChildConc, Logger: log}
	if mode == "tx" {
		cfg.Store = rec
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err = subscriber.Run(ctx, js, cfg, func(_ context.Context, e event.Event) error {
		time.Sleep(crashChildPause)
		return rec.handle(e)
	})
	if err != nil {
		return fail(err)
	}
	return 0
}

// A subscriber killed (SIGKILL) three times mid-stream and restarted,
// while events and duplicates (same key, new id) are still being stored:
// with a Store that records the key in the handler's own write, every key
// reaches the handler exactly once; with the default KV record, every key
// at least once and only those being handled at a kill twice; in both,
// each entity's events in stream order.
func TestKilledAndRestartedMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	for _, mode := range []string{"tx", "kv"} {
		t.Run(mode, func(t *testing.T) {
			url, js := startEvents(t)
			path := t.TempDir() + "/handled"
			var logs natstest.Buffer
			start := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), crashChildEnv+"="+mode, crashURLEnv+"="+url, crashRecordEnv+"="+path)
				cmd.Stdout, cmd.Stderr = &logs, &logs
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) // if the test stops early
				return cmd
			}
			lines := func() []recordLine {
				b, _ := os.ReadFile(path)
				return parseRecord(b)
			}
			defer func() {
				if t.Failed() {
					t.Logf("children's logs:\n%s", logs.String())
				}
			}()

			var (
				published sync.WaitGroup
				originals []testEvent
			)
			published.Go(func() {
				originals, _ = publishWithDuplicates(t, func(e testEvent) {
					publishEvent(t, js, e)
					time.Sleep(200 * time.Microsecond)
				}, 10, 30)
			})
			const kills = 3
			child := start()
			for i := 1; i <= kills; i++ {
				natstest.CheckFor(t, 30*time.Second, 2*time.Millisecond, func() error {
					if n := len(lines()); n < i*80 {
						return fmt.Errorf("%d lines handled, waiting for %d to kill", n, i*80)
					}
					return nil
				})
				if err := child.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				_ = child.Wait()
				t.Logf("kill %d after %d handler calls", i, len(lines()))
				child = start()
			}
			published.Wait()
			want := len(originals)
			natstest.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
				keys := map[string]bool{}
				for _, l := range lines() {
					keys[l.key] = true
				}
				if len(keys) < want {
					return fmt.Errorf("%d of %d keys handled", len(keys), want)
				}
				return nil
			})
			if err := child.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := child.Wait(); err != nil {
				t.Errorf("child after SIGTERM: %v", err)
			}

			ids := map[string]bool{}
			for _, e := range originals {
				ids[e.ID] = true
			}
			got := lines()
			perKey, last := map[string]int{}, map[string]int{}
			for _, l := range got {
				perKey[l.key]++
				if !ids[l.id] {
					t.Errorf("handled %s, a duplicate stored upstream", l.id)
				}
				prev, ok := last[l.subject]
				switch {
				case ok && l.n < prev, ok && l.n == prev && mode == "tx":
					t.Errorf("entity %s: event %d handled after event %d", l.subject, l.n, prev)
				}
				last[l.subject] = l.n
			}
			twice := 0
			for _, e := range originals {
				switch n := perKey[e.Key]; {
				case n == 0:
					t.Errorf("key %s never handled", e.Key)
				case n > 1 && mode == "tx":
					t.Errorf("key %s handled %d times, want once", e.Key, n)
				case n > 1:
					twice += n - 1
				}
			}
			if twice > kills*crashChildConc {
				t.Errorf("%d calls again after %d kills; at most %d were running", twice, kills, kills*crashChildConc)
			}
			t.Logf("%d events (+%d duplicates upstream), %d handler calls, %d of them again after a kill",
				want, want/5, len(got), twice)
		})
	}
}
