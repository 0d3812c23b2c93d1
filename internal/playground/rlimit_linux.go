package playground

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// limitSelf bounds the process: memory bytes of address space beyond what
// it has reserved already (the Go runtime reserves a good deal at start,
// so an absolute limit would be arbitrary), and cpu of CPU time (SIGXCPU
// past it). Zero: no limit.
func limitSelf(memory int64, cpu time.Duration) error {
	if memory > 0 {
		size, err := vmSize()
		if err != nil {
			return err
		}
		lim := uint64(size + memory)
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			return fmt.Errorf("RLIMIT_AS: %w", err)
		}
	}
	if cpu > 0 {
		sec := uint64((cpu + time.Second - 1) / time.Second)
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: sec, Max: sec + 1}); err != nil {
			return fmt.Errorf("RLIMIT_CPU: %w", err)
		}
	}
	return nil
}

// vmSize is the process's address space (VmSize), in bytes.
func vmSize() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmSize %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmSize in /proc/self/status")
}

// killedByLimit reports whether a worker was killed at its CPU limit
// (SIGXCPU, then SIGKILL at the hard limit).
func killedByLimit(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && (ws.Signal() == syscall.SIGXCPU || ws.Signal() == syscall.SIGKILL)
}
