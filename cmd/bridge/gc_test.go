package main

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if got := setGCPercent(env(nil)); got != defaultGCPercent {
		t.Errorf("without GOGC: %d, want %d", got, defaultGCPercent)
	}
	if in := debug.SetGCPercent(100); in != defaultGCPercent {
		t.Errorf("without GOGC the runtime collects at %d%%, want %d%%", in, defaultGCPercent)
	}
	// GOGC in the environment rules (the runtime read it at start): the
	// bridge leaves the setting alone and reports it.
	if got := setGCPercent(env(map[string]string{"GOGC": "150"})); got != 150 {
		t.Errorf("GOGC=150: %d", got)
	}
	if in := debug.SetGCPercent(100); in != 100 {
		t.Errorf("GOGC set: the bridge changed the runtime's setting to %d", in)
	}
	if got := setGCPercent(env(map[string]string{"GOGC": "off"})); got != -1 {
		t.Errorf("GOGC=off: %d", got)
	}
}

func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if v, ok := m[name]; ok {
				return []byte(v), nil
			}
			return nil, os.ErrNotExist
		}
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  string
	}{
		{"cgroup v2 limit", nil, map[string]string{"/sys/fs/cgroup/memory.max": "1073741824\n"}, "858993459"},
		{"cgroup v1 limit", nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n"}, "429496729"},
		{"cgroup v2 without a limit", nil, map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}, "none"},
		{"cgroup v1 without a limit", nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, "none"},
		{"no cgroup", nil, nil, "none"},
		{"GOMEMLIMIT rules", map[string]string{"GOMEMLIMIT": "200MiB"}, map[string]string{"/sys/fs/cgroup/memory.max": "1073741824"}, "200MiB"},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		got := setMemoryLimit(env(tc.env), files(tc.files))
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		inForce := debug.SetMemoryLimit(-1)
		if n, err := strconv.ParseInt(tc.want, 10, 64); err == nil && inForce != n {
			t.Errorf("%s: the runtime's limit is %d, want %d", tc.name, inForce, n)
		} else if err != nil && inForce != math.MaxInt64 {
			t.Errorf("%s: the runtime's limit changed to %d", tc.name, inForce)
		}
	}
}
