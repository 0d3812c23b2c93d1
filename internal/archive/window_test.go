package archive

import (
	"fmt"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestWindowBytesCountUntilAcknowledged: since a body now counts in the
// window until RAW acknowledges it or the publish fails (the attack of
// 2026-12-06: bodies published but not yet acknowledged were no longer
// counted, so a slow RAW let memory grow past the window), every path that
// ends a record must give its bytes back: a count that leaked would close
// the archive for good. Once every record is answered, stored or failed,
// the window is empty again, and it never leaves [0, WindowBytes].
func TestWindowBytesCountUntilAcknowledged(t *testing.T) {
	for _, raw := range []bool{true, false} {
		t.Run(fmt.Sprintf("RAW there: %v", raw), func(t *testing.T) {
			_, js, w, cfg := start(t, nil)
			if !raw {
				if err := js.DeleteStream(natstest.Context(t, 5*time.Second), cfg.Stream); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 300 {
				w.Keep(record("stripe", "webhook", i))
				if b := w.bytes.Load(); b < 0 || b > cfg.WindowBytes {
					t.Fatalf("window bytes %d, outside [0, %d]", b, cfg.WindowBytes)
				}
			}
			natstest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
				if s := w.Stats(); s.Pending != 0 {
					return fmt.Errorf("%d pending", s.Pending)
				}
				return nil
			})
			if b := w.bytes.Load(); b != 0 {
				t.Errorf("every record answered, yet %d bytes still count in the window", b)
			}
			if s := w.Stats(); raw && s.Written != 300 || !raw && s.Written != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}
