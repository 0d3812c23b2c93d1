package ingest

import (
	"testing"
	"time"
)

// A missing ack wait is reported once, as missing, not also as shorter
// than the timeout.
func TestNATSConfigAckWaitMissingOnce(t *testing.T) {
	c := DefaultNATSConfig()
	c.AckWait = 0
	err := c.Validate()
	if err == nil || err.Error() != "nats ingest: AckWait: must be > 0, got 0s" {
		t.Errorf("Validate() = %v", err)
	}
}

// The ingest stream de-duplicates over two minutes.
func TestIngestStreamDuplicateWindow(t *testing.T) {
	if got := DefaultNATSConfig().StreamConfig(1).Duplicates; got != 2*time.Minute {
		t.Errorf("duplicate window %s, want 2m", got)
	}
}
