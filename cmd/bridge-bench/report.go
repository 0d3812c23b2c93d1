package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is one run's report; --json prints it as it is.
type Result struct {
	Machine       Machine `json:"machine"`
	Mode          string  `json:"mode"`
	ResourceScope string  `json:"resource_scope"`
	Provider      string  `json:"provider"`
	Payload       string  `json:"payload"`
	Concurrency   int     `json:"concurrency"`
	// Dials is how many connections the clients opened in all (warm-up
	// included): the concurrency when every connection was kept alive.
	Dials            int64   `json:"connections_opened"`
	Count            int     `json:"count,omitempty"`
	Duration         float64 `json:"duration_seconds,omitempty"`
	Warmup           float64 `json:"warmup_seconds,omitempty"`
	WarmupDeliveries int64   `json:"warmup_deliveries,omitempty"`
	WarmupFailed     int64   `json:"warmup_failed,omitempty"`

	Bridge Stats `json:"bridge"`
	// Harness is bridge-bench's own process in subprocess mode: the
	// nats-server and the load generator.
	Harness     *Resources  `json:"harness,omitempty"`
	ExactlyOnce ExactlyOnce `json:"exactly_once"`
	Ceiling     *Ceiling    `json:"ceiling,omitempty"`
	Thin        *Thin       `json:"thin,omitempty"`
	// Sync is the sync policy of the run's nats-servers.
	Sync string `json:"sync"`
	// Archive is whether the bridge kept every delivery in its raw archive.
	Archive bool `json:"archive"`
}

// Stats of one measured phase.
type Stats struct {
	Attempted    int64            `json:"attempted"`
	OK           int64            `json:"ok"` // answered 2xx and stored (ceiling: acknowledged)
	Events       int64            `json:"events"`
	Elapsed      float64          `json:"elapsed_seconds"`
	Rate         float64          `json:"per_second"` // OK per second
	Latency      Latency          `json:"latency_ms"`
	Status       map[string]int64 `json:"status,omitempty"`
	ConnErrors   int64            `json:"connection_errors"`
	Duplicates   int64            `json:"duplicates,omitempty"`
	DeadLettered int64            `json:"dead_lettered,omitempty"`
	Dropped      int64            `json:"dropped,omitempty"`
	ErrSamples   []string         `json:"error_samples,omitempty"`
	Resources    Resources        `json:"resources"`
}

// Latency percentiles in milliseconds, over every OK answer.
type Latency struct {
	Samples int     `json:"samples"`
	Mean    float64 `json:"mean"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	P999    float64 `json:"p99_9"`
	Max     float64 `json:"max"`
}

// Resources used during a measured phase.
type Resources struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUPer1000 is CPU seconds per 1,000 events stored.
	CPUPer1000 float64 `json:"cpu_seconds_per_1000_events"`
	// Cores is CPUSeconds over the phase's wall time.
	Cores   float64 `json:"cores_busy"`
	PeakRSS int64   `json:"peak_rss_bytes"`
	RSS     int64   `json:"rss_bytes_after"`
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sortDurations(d []time.Duration) { slices.Sort(d) }

// percentile is the nearest-rank percentile of sorted (0 < p <= 100).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted))-1e-9)) - 1 // 1e-9: 99.9/100*1000 is not 999 in floating point
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func latencyOf(sorted []time.Duration) Latency {
	l := Latency{Samples: len(sorted)}
	if len(sorted) == 0 {
		return l
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	l.Mean = ms(sum / time.Duration(len(sorted)))
	l.P50, l.P90, l.P99 = ms(percentile(sorted, 50)), ms(percentile(sorted, 90)), ms(percentile(sorted, 99))
	l.P999, l.Max = ms(percentile(sorted, 99.9)), ms(sorted[len(sorted)-1])
	return l
}

func resources(before, after usage, events int64, elapsed time.Duration) Resources {
	r := Resources{CPUSeconds: (after.CPU - before.CPU).Seconds(), PeakRSS: after.PeakRSS, RSS: after.RSS}
	if events > 0 {
		r.CPUPer1000 = r.CPUSeconds / float64(events) * 1000
	}
	if elapsed > 0 {
		r.Cores = r.CPUSeconds / elapsed.Seconds()
	}
	return r
}

func summarize(p phase, before, after usage) Stats {
	s := Stats{
		Attempted: p.Sent, OK: p.Stored, Events: p.Events, Elapsed: p.Elapsed.Seconds(),
		Latency: latencyOf(p.Latencies), ConnErrors: p.ConnErrors,
		Duplicates: p.Duplicates, DeadLettered: p.DeadLettered, Dropped: p.Dropped,
		ErrSamples: p.ErrSamples, Resources: resources(before, after, p.Events, p.Elapsed),
	}
	if p.Elapsed > 0 {
		s.Rate = float64(p.Stored) / p.Elapsed.Seconds()
	}
	if len(p.Status) > 0 {
		s.Status = map[string]int64{}
		for code, n := range p.Status {
			s.Status[strconv.Itoa(code)] = n
		}
	}
	return s
}

// failed is how many attempts did not end OK.
func (s Stats) failed() int64 { return s.Attempted - s.OK }

// Clean reports whether every delivery (and publish) was stored and the
// exactly-once check passed.
func (r *Result) Clean() bool {
	ok := r.Bridge.failed() == 0 && r.WarmupFailed == 0 && r.ExactlyOnce.OK
	if c := r.Ceiling; c != nil {
		ok = ok && c.Stats.failed() == 0 && c.StoredOK
	}
	if th := r.Thin; th != nil {
		ok = ok && th.Stats.failed() == 0 && th.StoredOK
	}
	return ok
}

// WriteText prints the report.
func (r *Result) WriteText(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine        %s; nproc %d, GOMAXPROCS %d; %s %s", m.CPUModel, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.OS)
	if m.Kernel != "" {
		fmt.Fprintf(w, ", kernel %s", m.Kernel)
	}
	if m.MemTotal > 0 {
		fmt.Fprintf(w, ", %s RAM", bytesText(m.MemTotal))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "bridge         %s\n", r.Mode)
	if r.Sync != "" {
		fmt.Fprintf(w, "nats sync      %s\n", r.Sync)
		fmt.Fprintf(w, "raw archive    %s\n", map[bool]string{true: "on (a RAW message per delivery)", false: "off (--archive=false)"}[r.Archive])
	}
	fmt.Fprintf(w, "provider       %s: %s\n", r.Provider, r.Payload)
	fmt.Fprintf(w, "load           %d clients (%d connections opened in all)", r.Concurrency, r.Dials)
	if r.Warmup > 0 {
		fmt.Fprintf(w, "; warm-up %s (%d deliveries, not measured)", durText(r.Warmup), r.WarmupDeliveries)
	}
	if r.Count > 0 {
		fmt.Fprintf(w, "; measured %d deliveries\n", r.Count)
	} else {
		fmt.Fprintf(w, "; measured %s\n", durText(r.Duration))
	}
	if r.WarmupFailed > 0 {
		fmt.Fprintf(w, "warm-up        %d deliveries failed\n", r.WarmupFailed)
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "bridge (POST /webhooks/"+r.Provider+")")
	b := r.Bridge
	fmt.Fprintf(w, "  deliveries   %d answered 2xx and stored, of %d sent, in %.3fs\n", b.OK, b.Attempted, b.Elapsed)
	fmt.Fprintf(w, "  throughput   %.1f deliveries/s (%d events)\n", b.Rate, b.Events)
	fmt.Fprintf(w, "  latency      %s (of the 2xx answers)\n", latencyText(b.Latency))
	fmt.Fprintf(w, "  answers      %s\n", statusText(b))
	fmt.Fprintf(w, "  errors       %s\n", errorsText(b, "connection errors"))
	for _, e := range b.ErrSamples {
		fmt.Fprintf(w, "                 e.g. %s\n", e)
	}
	writeResources(w, b.Resources, "events", r.ResourceScope)
	if h := r.Harness; h != nil {
		if strings.HasPrefix(r.Mode, "remote") {
			fmt.Fprintln(w, "harness (bridge-bench itself: the load generator)")
		} else {
			fmt.Fprintln(w, "harness (bridge-bench itself: the nats-server and the load generator)")
		}
		writeResources(w, *h, "events", "")
	}

	fmt.Fprintln(w)
	v := r.ExactlyOnce
	verdict := "OK"
	if !v.OK {
		verdict = "FAILED: " + strings.Join(v.Problems, "; ")
	}
	fmt.Fprintf(w, "exactly-once   %s\n", verdict)
	fmt.Fprintf(w, "  EVENTS holds %d events for %d events answered 2xx (warm-up included)", v.StreamEvents, v.Answered)
	if v.Uncertain > 0 {
		fmt.Fprintf(w, " and %d deliveries without a 2xx (each may have stored one)", v.Uncertain)
	}
	fmt.Fprintf(w, ";\n  %d distinct idempotency keys, %d repeated; %d answered ids missing; EVENTS_DLQ holds %d; read back in %.1fs\n",
		v.DistinctKeys, v.RepeatedKeys, v.Missing, v.DeadLetters, v.ReadSeconds)

	if c := r.Ceiling; c != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "ceiling (raw JetStream: synchronous js.Publish with a unique Nats-Msg-Id, %d-byte messages with %d headers,\n", c.MessageBytes, c.HeaderCount)
		fmt.Fprintf(w, "         %d goroutines on %d connection, into %s: the settings of EVENTS on the same server)\n", r.Concurrency, c.Connections, c.Stream)
		s := c.Stats
		if c.Warmup > 0 {
			fmt.Fprintf(w, "  warm-up      %d publishes, not measured\n", c.Warmup)
		}
		fmt.Fprintf(w, "  publishes    %d acknowledged, of %d, in %.3fs\n", s.OK, s.Attempted, s.Elapsed)
		fmt.Fprintf(w, "  throughput   %.1f publishes/s\n", s.Rate)
		fmt.Fprintf(w, "  latency      %s\n", latencyText(s.Latency))
		fmt.Fprintf(w, "  errors       %s\n", errorsText(s, "publish errors"))
		for _, e := range s.ErrSamples {
			fmt.Fprintf(w, "                 e.g. %s\n", e)
		}
		scope := "whole bridge-bench process: the nats-server and the publishers"
		if strings.HasPrefix(r.Mode, "in-process") {
			scope += " (and the idle bridge)"
		}
		writeResources(w, s.Resources, "publishes", scope)
		stored := "ok"
		if !c.StoredOK {
			stored = "MISMATCH"
		}
		fmt.Fprintf(w, "  stored       %s holds %d messages: %s\n", c.Stream, c.Stored, stored)
		fmt.Fprintf(w, "  ratio        bridge / ceiling = %.3f (the bridge stores %.1f%% of what raw publishing does)\n", c.Ratio, 100*c.Ratio)
	}
	if r.Thin != nil {
		writeThin(w, r)
	}
}

func writeResources(w io.Writer, res Resources, what, scope string) {
	if res == (Resources{}) && strings.HasPrefix(scope, "not measured") {
		fmt.Fprintf(w, "  cpu, memory  %s\n", scope)
		return
	}
	fmt.Fprintf(w, "  cpu          %.3f s per 1,000 %s (%.2f s over the phase: %.2f cores busy)\n", res.CPUPer1000, what, res.CPUSeconds, res.Cores)
	fmt.Fprintf(w, "  memory       peak RSS %s (VmHWM), RSS %s after\n", bytesText(res.PeakRSS), bytesText(res.RSS))
	if scope != "" {
		fmt.Fprintf(w, "  measured on  %s\n", scope)
	}
}

func latencyText(l Latency) string {
	if l.Samples == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s",
		msText(l.P50), msText(l.P90), msText(l.P99), msText(l.P999), msText(l.Max), msText(l.Mean))
}

func msText(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func statusText(s Stats) string {
	if len(s.Status) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(s.Status))
	for c := range s.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s: %d", c, s.Status[c])
	}
	return strings.Join(parts, ", ")
}

func errorsText(s Stats, connWhat string) string {
	var parts []string
	for c, n := range s.Status {
		if !strings.HasPrefix(c, "2") {
			parts = append(parts, fmt.Sprintf("%d answered %s", n, c))
		}
	}
	slices.Sort(parts)
	if s.ConnErrors > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", s.ConnErrors, connWhat))
	}
	for _, x := range []struct {
		n    int64
		what string
	}{{s.Duplicates, "duplicate"}, {s.DeadLettered, "dead-lettered"}, {s.Dropped, "dropped"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func durText(sec float64) string {
	return time.Duration(sec * float64(time.Second)).Round(time.Millisecond).String()
}
