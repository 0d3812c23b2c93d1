package daemon

import (
	"os"
	"testing"

	"github.com/bridge-dev/bridge/internal/playground"
)

// TestMain makes this test binary a playground worker when the daemon under
// test starts it as one: the daemon re-runs its own executable, which here
// is this binary (the real bridge runs `bridge map-worker`).
func TestMain(m *testing.M) {
	if os.Getenv(playground.WorkerEnv) == "1" {
		os.Exit(playground.WorkerMain(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
