package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary play the thin forwarder: startThin runs
// os.Executable() thin-serve, which is this binary under go test.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == thinCommand {
		os.Exit(thinServe(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRunThinBothSyncModes runs the bridge, the ceiling and the thin
// forwarder with each sync policy: every delivery and publish is stored,
// and the report names the policy.
func TestRunThinBothSyncModes(t *testing.T) {
	for _, always := range []bool{true, false} {
		t.Run(syncText(always), func(t *testing.T) {
			o := testOptions(t)
			o.Provider, o.Thin, o.Ceiling, o.SyncAlways = "pix", true, true, always
			o.Count = 100
			res := runOK(t, o)
			th := res.Thin
			if th == nil {
				t.Fatal("no thin forwarder phase")
			}
			if th.Stats.Attempted != 100 || th.Stats.OK != 100 || th.Stored != 100 || !th.StoredOK || th.Ratio <= 0 {
				t.Errorf("thin %+v", th)
			}
			checkStats(t, "thin", th.Stats)
			if res.Sync != syncText(always) || th.Sync != res.Sync {
				t.Errorf("sync: run %q, thin %q; want %q", res.Sync, th.Sync, syncText(always))
			}
			var out strings.Builder
			res.WriteText(&out)
			for _, s := range []string{"nats sync      " + syncText(always), "thin forwarder", "bridge / thin = "} {
				if !strings.Contains(out.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

// TestSyncAlwaysByDefault: with no flag the run's servers sync always, as
// the bridge's embedded server does.
func TestSyncAlwaysByDefault(t *testing.T) {
	for args, want := range map[string]bool{"": true, "--sync-always=false": false, "--sync-always": true} {
		o, _, err := parseArgs(strings.Fields(args), &strings.Builder{})
		if err != nil || o.SyncAlways != want {
			t.Errorf("%q: SyncAlways %v, %v; want %v", args, o.SyncAlways, err, want)
		}
	}
}
