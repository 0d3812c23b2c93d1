package idem

import (
	"testing"

	"github.com/bridge-dev/bridge/internal/publish"
)

// The negative cache's default tuning keeps its own invariants: every wait
// is positive, the watch may lag for a few probes but well within the
// events stream's duplicate window (which covers the lag), backoff grows
// from its minimum to its maximum, and a refused watch waits longer than
// any backoff.
func TestDefaultTuning(t *testing.T) {
	tun := defaultTuning()
	if tun.falsePositive <= 0 || tun.falsePositive >= 1 {
		t.Errorf("false-positive rate %v, want in (0, 1)", tun.falsePositive)
	}
	if tun.probeEvery <= 0 {
		t.Errorf("probeEvery %v, want > 0", tun.probeEvery)
	}
	if tun.maxLag <= tun.probeEvery || tun.maxLag >= publish.DefaultDuplicateWindow/2 {
		t.Errorf("maxLag %v, want above probeEvery (%v) and well under the duplicate window (%v)", tun.maxLag, tun.probeEvery, publish.DefaultDuplicateWindow)
	}
	if tun.restartMin <= 0 || tun.restartMax <= tun.restartMin {
		t.Errorf("backoff from %v to %v, want 0 < min < max", tun.restartMin, tun.restartMax)
	}
	if tun.deniedRetry <= tun.restartMax {
		t.Errorf("deniedRetry %v, want longer than the longest backoff (%v)", tun.deniedRetry, tun.restartMax)
	}
	if tun.rebuildEvery != 0 || tun.hold != nil {
		t.Errorf("rebuildEvery %v, hold %v: want the horizon and no hold by default", tun.rebuildEvery, tun.hold)
	}
}
