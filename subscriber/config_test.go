package subscriber_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/bridge-dev/bridge/subscriber"
)

func noop(context.Context, event.Event) error { return nil }

// Run refuses a bad Config before it touches JetStream, naming every bad
// field at once.
func TestRunRefusesABadConfig(t *testing.T) {
	brokenSchemas := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenSchemas, "s.json"), []byte(`{"type": 12}`), 0o644); err != nil {
		t.Fatal(err)
	}
	remoteRef := t.TempDir()
	if err := os.WriteFile(filepath.Join(remoteRef, "s.json"), []byte(`{"$ref": "https://elsewhere.example/x.json"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(outside, []byte(`{"type": "object"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	linkOut := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(linkOut, "s.json")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  subscriber.Config
		h    subscriber.Handler
		want []string
	}{
		{"no name", subscriber.Config{}, noop, []string{"Name: \"\" must be"}},
		{"name with a dot", subscriber.Config{Name: "a.b"}, noop, []string{`Name: "a.b" must be`}},
		{"every bad field at once",
			subscriber.Config{Name: "x", Stream: "EV ENTS", Subjects: []string{""}, Concurrency: -1, MaxDeliver: -2,
				DoneTTL: time.Millisecond, Replicas: 7, Drain: -time.Second},
			nil,
			[]string{"Stream: \"EV ENTS\"", "Subjects[0]: is empty", "Concurrency: must be at least 1, got -1",
				"MaxDeliver: must be at least 1, got -2", "DoneTTL: must be at least 1s, got 1ms",
				"Replicas: must be 1 to 5, got 7", "Drain: must not be negative", "handler is nil"}},
		{"missing schemas directory", subscriber.Config{Name: "x", Schemas: filepath.Join(t.TempDir(), "none")}, noop,
			[]string{"Schemas: "}},
		{"schema that does not compile", subscriber.Config{Name: "x", Schemas: brokenSchemas}, noop,
			[]string{"Schemas: ", "s.json"}},
		{"schema whose $ref is not in the directory: never fetched", subscriber.Config{Name: "x", Schemas: remoteRef}, noop,
			[]string{"https://elsewhere.example/x.json is not fetched"}},
		{"schema file linked from outside the directory", subscriber.Config{Name: "x", Schemas: linkOut}, noop,
			[]string{"s.json cannot be read inside the schemas directory (a link out of it is refused)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A nil JetStream: the config is refused before it is used.
			err := subscriber.Run(context.Background(), nil, tc.cfg, tc.h)
			if !errors.Is(err, subscriber.ErrInvalidConfig) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
