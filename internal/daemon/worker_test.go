package daemon

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/bridge-dev/bridge/internal/playground"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine outlives them, and
// makes this test binary a playground worker when the daemon under
// test starts it as one: the daemon re-runs its own executable, which here
// is this binary (the real bridge runs `bridge map-worker`).
func TestMain(m *testing.M) {
	if os.Getenv(playground.WorkerEnv) == "1" {
		os.Exit(playground.WorkerMain(os.Stdin, os.Stdout, os.Stderr))
	}
	// Every goroutine a daemon starts ends with its Shutdown. The idle
	// keep-alive connections of the tests' own client (http.Get) are the
	// tests' goroutines, not a daemon's: closed first.
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
