package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// The runs below are short and real: an embedded nats-server, the bridge
// (in this process or built and run as a subprocess) and HTTP over
// loopback. They check that a run completes, stores every delivery exactly
// once and reports sane numbers; they assert nothing about speed.

func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{
		Mappings: "../../mappings", Schemas: "../../schemas", Examples: "../../examples",
		Concurrency: 8, Count: 200, Timeout: 4 * time.Minute, Log: testLog{t},
	}
}

type testLog struct{ t *testing.T }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func runOK(t *testing.T, o Options) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res.WriteText(&buf)
	t.Logf("report:\n%s", buf.String())
	checkResult(t, res, o)
	return res
}

// checkResult holds for every clean run of o.
func checkResult(t *testing.T, res *Result, o Options) {
	t.Helper()
	if !res.Clean() {
		t.Error("run not clean")
	}
	b := res.Bridge
	if b.Attempted != int64(o.Count) || b.OK != int64(o.Count) || b.Events != int64(o.Count) {
		t.Errorf("attempted %d, ok %d, events %d; want %d of each", b.Attempted, b.OK, b.Events, o.Count)
	}
	if b.Status["202"] != int64(o.Count) || len(b.Status) != 1 || b.ConnErrors != 0 {
		t.Errorf("answers %v, connection errors %d; want %d x 202", b.Status, b.ConnErrors, o.Count)
	}
	checkStats(t, "bridge", b)
	if res.Dials < 1 || res.Dials > int64(o.Concurrency) {
		t.Errorf("%d connections opened, want 1 to %d (kept alive)", res.Dials, o.Concurrency)
	}
	v := res.ExactlyOnce
	want := uint64(int64(o.Count) + res.WarmupDeliveries)
	if !v.OK || v.StreamEvents != want || v.Answered != int64(want) || v.DistinctKeys != int(want) ||
		v.RepeatedKeys != 0 || v.Missing != 0 || v.Uncertain != 0 || v.DeadLetters != 0 {
		t.Errorf("exactly-once %+v; want %d events, all answered, distinct and present", v, want)
	}
	m := res.Machine
	if m.NumCPU < 1 || m.GOMAXPROCS < 1 || !strings.HasPrefix(m.GoVersion, "go") || m.CPUModel == "" {
		t.Errorf("machine %+v", m)
	}
	if res.Mode == "" || res.ResourceScope == "" || res.Payload == "" {
		t.Errorf("mode %q, scope %q, payload %q", res.Mode, res.ResourceScope, res.Payload)
	}
}

func checkStats(t *testing.T, what string, s Stats) {
	t.Helper()
	if s.Elapsed <= 0 || s.Rate <= 0 {
		t.Errorf("%s: elapsed %v, rate %v", what, s.Elapsed, s.Rate)
	}
	l := s.Latency
	if l.Samples != int(s.OK) || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max || l.Mean <= 0 || l.Mean > l.Max {
		t.Errorf("%s: latency %+v", what, l)
	}
	r := s.Resources
	if r.CPUSeconds < 0 || r.CPUPer1000 < 0 || r.PeakRSS <= 0 || r.RSS <= 0 || r.RSS > r.PeakRSS {
		t.Errorf("%s: resources %+v", what, r)
	}
}

func TestRunInProcessWithCeilingAndProfiles(t *testing.T) {
	o := testOptions(t)
	o.Ceiling = true
	dir := t.TempDir()
	o.CPUProfile, o.MemProfile = filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	res := runOK(t, o)
	if res.Mode != "in-process" || res.Harness != nil {
		t.Errorf("mode %q, harness %v", res.Mode, res.Harness)
	}
	c := res.Ceiling
	if c == nil {
		t.Fatal("no ceiling")
	}
	if c.Stats.Attempted != 200 || c.Stats.OK != 200 || c.Duplicates != 0 || c.Stats.ConnErrors != 0 || !c.StoredOK || c.Stored != 200 {
		t.Errorf("ceiling %+v", c)
	}
	checkStats(t, "ceiling", c.Stats)
	if c.Ratio <= 0 || c.MessageBytes < 500 || c.HeaderCount == 0 || !strings.HasPrefix(c.Subject, ceilingSubject+"event.stripe.") {
		t.Errorf("ceiling ratio %v, %d-byte messages with %d headers on %q", c.Ratio, c.MessageBytes, c.HeaderCount, c.Subject)
	}
	for _, f := range []string{o.CPUProfile, o.MemProfile} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", f, err)
		}
	}
}

func TestRunSubprocess(t *testing.T) {
	o := testOptions(t)
	o.Subprocess = true
	o.Warmup = 200 * time.Millisecond
	res := runOK(t, o)
	if !strings.HasPrefix(res.Mode, "subprocess") || res.Harness == nil || res.Harness.PeakRSS <= 0 {
		t.Errorf("mode %q, harness %+v", res.Mode, res.Harness)
	}
	if res.WarmupDeliveries == 0 {
		t.Error("no warm-up deliveries")
	}
	if !res.Archive {
		t.Error("the archive is off by default")
	}
}

// TestRealMainPixJSON goes through the flags, the text report and --json.
func TestRealMainPixJSON(t *testing.T) {
	var stdout bytes.Buffer
	var stderr lockedBuffer // the bridge logs to it from its goroutines
	code := realMain(context.Background(), []string{
		"--provider", "pix", "--count", "100", "--concurrency", "4", "--json", "--archive=false",
		"--mappings", "../../mappings", "--schemas", "../../schemas", "--examples", "../../examples",
	}, &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stdout.String())
	}
	out := stdout.String()
	i := strings.Index(out, "\n{")
	if !strings.HasPrefix(out, "machine ") || i < 0 {
		t.Fatalf("want the text report, machine first, then JSON:\n%s", out)
	}
	for _, s := range []string{"deliveries/s", "p99", "cpu ", "peak RSS", "exactly-once   OK", "raw archive    off"} {
		if !strings.Contains(out[:i], s) {
			t.Errorf("report lacks %q:\n%s", s, out[:i])
		}
	}
	var res Result
	if err := json.Unmarshal([]byte(out[i+1:]), &res); err != nil {
		t.Fatal(err)
	}
	checkResult(t, &res, Options{Count: 100, Concurrency: 4})
	if res.Provider != "pix" || res.Archive {
		t.Errorf("provider %q, archive %v", res.Provider, res.Archive)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error; "" for none
	}{
		{nil, ""},
		{[]string{"--count", "10"}, ""},
		{[]string{"--count", "10", "--duration", "1s"}, "exclude each other"},
		{[]string{"--provider", "github"}, "--provider"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--duration", "0s"}, "either --count or --duration"},
		{[]string{"--subprocess", "--cpuprofile", "x"}, "not with --subprocess"},
		{[]string{"--bridge-bin", "x"}, "needs --subprocess"},
		{[]string{"extra"}, "unexpected"},
		{[]string{"--target", "http://127.0.0.1:8080", "--nats-url", "nats://127.0.0.1:4222"}, ""},
		{[]string{"--target", "https://bridge.example.com"}, "want http://host:port"},
		{[]string{"--target", "http://127.0.0.1:8080/webhooks/stripe"}, "want http://host:port"},
		{[]string{"--target", "http://127.0.0.1:8080", "--ceiling"}, "not with --subprocess, --ceiling"},
		{[]string{"--nats-url", "nats://127.0.0.1:4222"}, "needs --target"},
		{[]string{"--target", "http://127.0.0.1:8080", "--thin"}, "--thin"},
		{[]string{"--thin", "--sync-always=false"}, ""},
	}
	for _, tc := range tests {
		o, _, err := parseArgs(tc.args, &bytes.Buffer{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one with %q", tc.args, err, tc.want)
		}
		if tc.want == "" && len(tc.args) == 2 && tc.args[0] == "--count" && (o.Count != 10 || o.Duration != 0) {
			t.Errorf("%q: count %d, duration %s", tc.args, o.Count, o.Duration)
		}
	}
}

// TestStripeSignature: the header verifies with stripe-go's own check.
func TestStripeSignature(t *testing.T) {
	g, err := newGenerator("stripe", "../../examples")
	if err != nil {
		t.Fatal(err)
	}
	body := g.body(nil, 42)
	const secret = "whsec_test"
	mac := hmac.New(sha256.New, []byte(secret))
	h := string(appendStripeSignature(nil, mac, body, time.Now()))
	// The HMAC is reused: a second signature, appended, is as good.
	h2, _ := strings.CutPrefix(string(appendStripeSignature([]byte("x"), mac, body, time.Now())), "x")
	if err := webhook.ValidatePayload(body, h2, secret); err != nil {
		t.Errorf("stripe-go rejects the second signature %q: %v", h2, err)
	}
	if err := webhook.ValidatePayload(body, h, secret); err != nil {
		t.Errorf("stripe-go rejects %q: %v", h, err)
	}
	if err := webhook.ValidatePayload(body, h, "whsec_other"); err == nil {
		t.Error("stripe-go accepts it with another secret")
	}
}

func TestGeneratorsMakeUniqueDeliveries(t *testing.T) {
	for _, provider := range []string{"stripe", "pix"} {
		t.Run(provider, func(t *testing.T) {
			g, err := newGenerator(provider, "../../examples")
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, n := range []uint64{1, 2, 36, 1 << 20, 1<<40 + 7} {
				body := g.body(nil, n)
				if len(body) != g.size {
					t.Errorf("delivery %d: %d bytes, want %d", n, len(body), g.size)
				}
				var p struct {
					ID   string
					Data struct{ Object struct{ ID string } }
					Pix  []struct{ EndToEndID string }
				}
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatalf("delivery %d: %v", n, err)
				}
				key := p.ID
				switch provider {
				case "stripe":
					if !regexp.MustCompile(`^evt_[0-9a-z]{24}$`).MatchString(p.ID) || !regexp.MustCompile(`^ch_[0-9a-z]{24}$`).MatchString(p.Data.Object.ID) {
						t.Errorf("delivery %d: ids %q, %q", n, p.ID, p.Data.Object.ID)
					}
				case "pix":
					key = p.Pix[0].EndToEndID
					if !regexp.MustCompile(`^E[0-9]{20}[a-zA-Z0-9]{11}$`).MatchString(key) {
						t.Errorf("delivery %d: endToEndId %q", n, key)
					}
				}
				if seen[key] {
					t.Errorf("delivery %d repeats id %q", n, key)
				}
				seen[key] = true
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := "4242 (bri dge) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 500 1000000 2000 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 3250*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v; want 3.25s", got, err)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short line parsed")
	}
	u, err := procUsage(os.Getpid())
	if err != nil || u.PeakRSS <= 0 || u.RSS <= 0 {
		t.Errorf("procUsage(self) = %+v, %v", u, err)
	}
}

func TestStatusKBAndCPUModel(t *testing.T) {
	status := []byte("Name:\tbridge\nVmHWM:\t   123456 kB\nVmRSS:\t  1000 kB\n")
	if got := statusKB(status, "VmHWM"); got != 123456 {
		t.Errorf("VmHWM = %d", got)
	}
	if got := statusKB(status, "VmSwap"); got != 0 {
		t.Errorf("VmSwap = %d", got)
	}
	x86 := []byte("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
	if got := cpuModelOf(x86); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModelOf(x86) = %q", got)
	}
	if got := cpuModelOf([]byte("processor\t: 0\nCPU part\t: 0xd0c\n")); got != "CPU part 0xd0c" {
		t.Errorf("cpuModelOf(arm64) = %q", got)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Millisecond}, {90, 900 * time.Millisecond}, {99, 990 * time.Millisecond}, {99.9, 999 * time.Millisecond}, {100, time.Second}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(d[:1], 99); got != time.Millisecond {
		t.Errorf("p99 of one = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %v", got)
	}
}

// --target drives a bridge that already runs, and checks only the events
// of its own run: two runs against one bridge and stream are both clean.
func TestRunAgainstATarget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := natstest.Start(t)
	o := testOptions(t)
	o.Count = 100
	ob, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	secret, err := randomSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := startInProcess(ctx, ob, srv.URL(), "", secret, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop(context.Background()) })

	o.Target, o.NATSURL = "http://"+b.HTTPAddr(), srv.URL()
	for run := 1; run <= 2; run++ {
		res, err := Run(ctx, o)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		var buf bytes.Buffer
		res.WriteText(&buf)
		t.Logf("run %d report:\n%s", run, buf.String())
		if !res.Clean() || res.Bridge.OK != 100 {
			t.Errorf("run %d: clean %v, %d stored; want clean and 100", run, res.Clean(), res.Bridge.OK)
		}
		if v := res.ExactlyOnce; v.StreamEvents != 100 || v.DistinctKeys != 100 || v.Missing != 0 {
			t.Errorf("run %d: exactly-once %+v; want this run's 100 events", run, v)
		}
		if !strings.HasPrefix(res.Mode, "remote") || res.Bridge.Resources != (Resources{}) || res.Harness == nil {
			t.Errorf("run %d: mode %q, bridge resources %+v, harness %v", run, res.Mode, res.Bridge.Resources, res.Harness)
		}
		if !strings.Contains(buf.String(), "not measured") {
			t.Errorf("run %d: the report does not say the bridge's CPU is not measured", run)
		}
	}
}
