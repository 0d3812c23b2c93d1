package ingest

import (
	"strings"
	"testing"
	"time"
)

// Validate names every field that is wrong, all at once, in a stable
// order: a zero value is refused, not filled in.
func TestNATSConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*NATSConfig)
		want []string // one line each, in order; none: valid
	}{
		{"defaults", func(*NATSConfig) {}, nil},
		{"zero value", func(c *NATSConfig) { *c = NATSConfig{} }, []string{
			`nats ingest: AckWait: must be > 0, got 0s`,
			`nats ingest: Batch: must be > 0, got 0`,
			`nats ingest: Consumer: must be a non-empty name without '.', '*', '>' or spaces, got ""`,
			`nats ingest: MaxAge: must be > 0, got 0s`,
			`nats ingest: MaxDeliver: must be > 0, got 0`,
			`nats ingest: QueueGroup: must be a non-empty name without spaces, got ""`,
			`nats ingest: ReplyPrefix: must be a subject prefix without wildcards, spaces or a final '.', got ""`,
			`nats ingest: Stream: must be a non-empty name without '.', '*', '>' or spaces, got ""`,
			`nats ingest: Subjects: must list at least one subject`,
			`nats ingest: Timeout: must be > 0, got 0s`,
			`nats ingest: Workers: must be > 0, got 0`,
		}},
		{"timeout not below the ack wait", func(c *NATSConfig) { c.Timeout, c.AckWait = 30*time.Second, 30*time.Second }, []string{
			`nats ingest: Timeout: 30s must be below the ack wait 30s`,
		}},
		{"a consumer with a dot", func(c *NATSConfig) { c.Consumer = "a.b" }, []string{
			`nats ingest: Consumer: must be a non-empty name without '.', '*', '>' or spaces, got "a.b"`,
		}},
		{"a queue group with a space", func(c *NATSConfig) { c.QueueGroup = "a b" }, []string{
			`nats ingest: QueueGroup: must be a non-empty name without spaces, got "a b"`,
		}},
		{"an empty subject", func(c *NATSConfig) { c.Subjects = []string{"ingest.>", ""} }, []string{
			`nats ingest: Subjects[1]: must be a subject without spaces, got ""`,
		}},
		{"a reply prefix with a wildcard", func(c *NATSConfig) { c.ReplyPrefix = "bridge.*" }, []string{
			`nats ingest: ReplyPrefix: must be a subject prefix without wildcards, spaces or a final '.', got "bridge.*"`,
		}},
		{"negative counts", func(c *NATSConfig) { c.Batch, c.Workers = -1, -2 }, []string{
			`nats ingest: Batch: must be > 0, got -1`,
			`nats ingest: Workers: must be > 0, got -2`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultNATSConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want %q", tc.want)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

// NewNATS refuses an invalid configuration with Validate's problems, and
// its missing parts, joined.
func TestNewNATSValidates(t *testing.T) {
	_, err := NewNATS(nil, nil, nil, nil, nil, NATSConfig{Batch: 1})
	if err == nil || !strings.Contains(err.Error(), "are required") || !strings.Contains(err.Error(), "nats ingest: Workers: must be > 0") ||
		strings.Contains(err.Error(), "Batch") {
		t.Fatalf("NewNATS: %v", err)
	}
}
