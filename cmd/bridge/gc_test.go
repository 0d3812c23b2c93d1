package main

import (
	"runtime/debug"
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
