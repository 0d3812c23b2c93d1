package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports (it is part of the kernel's ABI).
const clockTicks = 100

// usage is a process's CPU time so far and its resident memory.
type usage struct {
	CPU     time.Duration // user + system
	PeakRSS int64         // bytes, VmHWM: the highest resident set so far
	RSS     int64         // bytes, VmRSS: resident now
}

// procUsage reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status
// (VmHWM, VmRSS) of another process.
func procUsage(pid int) (usage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return usage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return usage{}, err
	}
	u := usage{CPU: cpu}
	u.PeakRSS, u.RSS = statusKB(status, "VmHWM")*1024, statusKB(status, "VmRSS")*1024
	return u, nil
}

// selfUsage is this process's CPU time (getrusage, microseconds) and
// memory (/proc/self/status, or ru_maxrss where there is no /proc).
func selfUsage() (usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}, fmt.Errorf("getrusage: %w", err)
	}
	u := usage{CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		u.PeakRSS, u.RSS = statusKB(status, "VmHWM")*1024, statusKB(status, "VmRSS")*1024
	} else {
		u.PeakRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return u, nil
}

// parseStatCPU returns utime + stime of a /proc/<pid>/stat line. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no ')' after the command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// statusKB returns the kB value of a "Name:   1234 kB" line of a
// /proc/<pid>/status or /proc/meminfo file, 0 if there is none.
func statusKB(status []byte, name string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		return n
	}
	return 0
}

// Machine is what the numbers were measured on.
type Machine struct {
	CPUModel   string `json:"cpu_model"`
	NumCPU     int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Kernel     string `json:"kernel,omitempty"`
	MemTotal   int64  `json:"mem_total_bytes,omitempty"`
}

func machineInfo() Machine {
	m := Machine{
		CPUModel:   cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = statusKB(b, "MemTotal") * 1024
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo (x86), or what
// other architectures call it.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	return cpuModelOf(b)
}

func cpuModelOf(cpuinfo []byte) string {
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && v != "" && found[k] == "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu", "uarch", "Processor"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	if v := found["CPU part"]; v != "" {
		return "CPU part " + v // arm64 without a model name
	}
	return "unknown"
}

func (m Machine) oneLine() string {
	return fmt.Sprintf("machine: %s, nproc %d, GOMAXPROCS %d, %s %s", m.CPUModel, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.OS)
}
