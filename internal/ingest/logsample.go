package ingest

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Sampling of rejection logs: the first RejectLogBurst lines of each
// reason in each RejectLogInterval are logged, the rest only counted (the
// metrics count every one).
const (
	RejectLogBurst    = 10
	RejectLogInterval = time.Minute
)

// LogSampler keeps a flood of rejections from flooding the log: per
// reason, the first Burst lines of each Interval are logged and the rest
// counted; the counts of an interval are logged, one line per reason,
// with the first line of any reason after it ends. Its zero value is not
// usable; make one with NewLogSampler. Safe for concurrent use.
type LogSampler struct {
	burst    int
	interval time.Duration

	mu    sync.Mutex
	start time.Time      // of the current interval
	lines map[string]int // reason -> lines asked for in it
}

// NewLogSampler returns a sampler of burst lines per reason per interval.
func NewLogSampler(burst int, interval time.Duration) *LogSampler {
	return &LogSampler{burst: max(burst, 1), interval: interval, lines: map[string]int{}}
}

// Allow reports whether the line of reason at now is logged, and returns
// the lines left out per reason in the interval that ended before now,
// once, for the caller to log.
func (s *LogSampler) Allow(reason string, now time.Time) (ok bool, leftOut map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start.IsZero() || now.Sub(s.start) >= s.interval {
		for r, n := range s.lines {
			if n > s.burst {
				if leftOut == nil {
					leftOut = map[string]int{}
				}
				leftOut[r] = n - s.burst
			}
		}
		clear(s.lines)
		s.start = now
	}
	s.lines[reason]++
	return s.lines[reason] <= s.burst, leftOut
}

// Log logs msg with attrs at level when the sampler allows a line of
// reason at now, after a line per reason whose lines were left out in the
// last interval ("log lines left out", with the reason and the count).
func (s *LogSampler) Log(log *slog.Logger, level slog.Level, now time.Time, reason, msg string, attrs ...any) {
	ok, leftOut := s.Allow(reason, now)
	for _, r := range slices.Sorted(maps.Keys(leftOut)) {
		log.Warn("log lines left out", "message", msg, "reason", r, "count", leftOut[r], "interval", s.interval.String())
	}
	if ok {
		log.Log(context.Background(), level, msg, attrs...)
	}
}
