package ingest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"testing"
	"time"
)

func TestLogSampler(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewLogSampler(2, time.Minute)
	steps := []struct {
		reason  string
		at      time.Duration
		ok      bool
		leftOut map[string]int
	}{
		{"a", 0, true, nil},
		{"a", time.Second, true, nil},
		{"a", 2 * time.Second, false, nil},
		{"b", 3 * time.Second, true, nil}, // each reason has its own burst
		{"a", 4 * time.Second, false, nil},
		{"b", 5 * time.Second, true, nil},
		{"b", 6 * time.Second, false, nil},
		{"c", time.Minute, true, map[string]int{"a": 2, "b": 1}}, // the interval ended: its counts, once
		{"a", time.Minute + time.Second, true, nil},
		{"c", 3 * time.Minute, true, nil}, // nothing was left out
	}
	for i, st := range steps {
		ok, leftOut := s.Allow(st.reason, t0.Add(st.at))
		if ok != st.ok || !maps.Equal(leftOut, st.leftOut) {
			t.Errorf("step %d (%s at %v): %v %v, want %v %v", i, st.reason, st.at, ok, leftOut, st.ok, st.leftOut)
		}
	}
}

func TestLogSamplerLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewLogSampler(1, time.Minute)
	for i := range 5 {
		s.Log(log, slog.LevelInfo, t0.Add(time.Duration(i)*time.Second), "mismatch", "rejected", "n", i)
	}
	s.Log(log, slog.LevelInfo, t0.Add(2*time.Minute), "missing", "rejected", "n", 5)
	var got []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 3 || got[0]["n"] != float64(0) ||
		got[1]["msg"] != "log lines left out" || got[1]["reason"] != "mismatch" || got[1]["count"] != float64(4) || got[1]["message"] != "rejected" ||
		got[2]["n"] != float64(5) {
		t.Errorf("lines = %v", got)
	}
}
