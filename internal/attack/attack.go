// Package attack is test support for the attacks the bridge must survive:
// hostile mapping files (for the evaluation budget and the playground's
// worker) and a process's peak memory. Tests of several packages share it,
// as they share natstest; the daemon never imports it.
package attack

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mapping is the text of a mapping file of provider "evil" whose one rule,
// "evil", sets data.x to the expression x, after the file's lets. With
// webhook it takes unsigned webhooks keyed by payload.id; else it accepts
// NATS only.
func Mapping(webhook bool, lets []string, x string) string {
	var b strings.Builder
	b.WriteString("provider: evil\nmodule: m\n")
	if webhook {
		b.WriteString("webhook: {signature: {scheme: none}}\nidempotency_key: payload.id\n")
	} else {
		b.WriteString("accepts: [nats]\n")
	}
	if len(lets) > 0 {
		b.WriteString("let:\n")
		for _, l := range lets {
			b.WriteString("  " + l + "\n")
		}
	}
	b.WriteString("rules:\n  - name: evil\n    when: 'true'\n    entity_type: e\n    event_name: n\n    entity_id: '\"1\"'\n    source: '\"https://x.example\"'\n")
	b.WriteString("    data:\n      x: '" + strings.ReplaceAll(x, "'", "''") + "'\n")
	return b.String()
}

// DoublingLets doubles a 16-byte string through 22 lets: 2^26 bytes
// (64 MiB) without a budget.
func DoublingLets(webhook bool) string {
	lets := []string{`s0: '"xxxxxxxxxxxxxxxx"'`}
	for i := 1; i <= 22; i++ {
		lets = append(lets, fmt.Sprintf("s%d: s%d + s%d", i, i-1, i-1))
	}
	return Mapping(webhook, lets, "len(s22)")
}

// NestedCount is three nested count()s over a 500-element list: 500^3
// iterations without a budget.
func NestedCount(webhook bool) string {
	return Mapping(webhook, []string{`xs: 1..500`}, "count(xs, count(xs, count(xs, # > 0) == 500) == 500)")
}

// PeakRSS is the peak resident set (VmHWM) of process pid, in bytes; pid 0
// is this process.
func PeakRSS(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s has no VmHWM", path)
}
