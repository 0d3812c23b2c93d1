package publish

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

func streamConfigOf(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamConfig {
	t.Helper()
	s, err := js.Stream(natstest.Context(t, 5*time.Second), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return s.CachedInfo().Config
}

func checkStream(t *testing.T, js jetstream.JetStream, name string, subjects []string, cfg Config) {
	t.Helper()
	got := streamConfigOf(t, js, name)
	if !slices.Equal(got.Subjects, subjects) {
		t.Errorf("%s subjects = %v, want %v", name, got.Subjects, subjects)
	}
	if got.Storage != jetstream.FileStorage {
		t.Errorf("%s storage = %v, want file", name, got.Storage)
	}
	if got.Discard != jetstream.DiscardNew {
		t.Errorf("%s discard = %v, want new", name, got.Discard)
	}
	if !got.AllowDirect {
		t.Errorf("%s AllowDirect = false", name)
	}
	if got.Replicas != cfg.Replicas || got.Duplicates != cfg.DuplicateWindow || got.MaxBytes != cfg.MaxBytes || got.MaxAge != cfg.MaxAge {
		t.Errorf("%s replicas/duplicates/max bytes/max age = %d/%s/%d/%s, want %d/%s/%d/%s", name,
			got.Replicas, got.Duplicates, got.MaxBytes, got.MaxAge,
			cfg.Replicas, cfg.DuplicateWindow, cfg.MaxBytes, cfg.MaxAge)
	}
}

func TestEnsureStreamsCreatesThenUpdates(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())

	steps := []struct {
		name   string
		mutate func(*Config)
	}{
		{"create with defaults", func(*Config) {}},
		{"same again", func(*Config) {}},
		{"update window, bytes, age", func(c *Config) {
			c.DuplicateWindow = time.Minute
			c.MaxBytes = 1 << 20
			c.MaxAge = time.Hour
		}},
		{"update subjects", func(c *Config) {
			c.Subjects = []string{"event.>", "evt.>"}
			c.DLQSubjects = []string{"deadletter.>"}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			cfg := testConfig()
			step.mutate(&cfg)
			if err := EnsureStreams(natstest.Context(t, 5*time.Second), js, cfg); err != nil {
				t.Fatalf("EnsureStreams: %v", err)
			}
			checkStream(t, js, cfg.Stream, cfg.Subjects, cfg)
			checkStream(t, js, cfg.DLQStream, cfg.DLQSubjects, cfg)
			if !streamConfigOf(t, js, cfg.Stream).AllowAtomicPublish {
				t.Errorf("%s does not allow atomic batches (Batcher needs them)", cfg.Stream)
			}
		})
	}
}

func TestEnsureStreamsKeepsUnmanagedSettings(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	ctx := natstest.Context(t, 5*time.Second)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "EVENTS", Subjects: []string{"event.>"}, Storage: jetstream.FileStorage,
		MaxMsgsPerSubject: 7, Discard: jetstream.DiscardOld,
	}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	if err := EnsureStreams(ctx, js, cfg); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	checkStream(t, js, "EVENTS", cfg.Subjects, cfg)
	if got := streamConfigOf(t, js, "EVENTS").MaxMsgsPerSubject; got != 7 {
		t.Errorf("MaxMsgsPerSubject = %d after EnsureStreams, want the operator's 7", got)
	}
}

func TestEnsureStreamsUnmanaged(t *testing.T) {
	tests := []struct {
		name     string
		existing []string // streams created beforehand
		missing  []string
	}{
		{"empty server", nil, []string{"EVENTS", "EVENTS_DLQ"}},
		{"no dead-letter stream", []string{"EVENTS"}, []string{"EVENTS_DLQ"}},
		{"both exist", []string{"EVENTS", "EVENTS_DLQ"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := natstest.Start(t)
			_, js := natstest.Connect(t, srv.URL())
			ctx := natstest.Context(t, 5*time.Second)
			for _, name := range tc.existing {
				if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{strings.ToLower(name) + ".>"}}); err != nil {
					t.Fatal(err)
				}
			}
			cfg := testConfig()
			cfg.ManageStreams = false
			err := EnsureStreams(ctx, js, cfg)
			if len(tc.missing) == 0 {
				if err != nil {
					t.Fatalf("EnsureStreams: %v", err)
				}
				return
			}
			if !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Fatalf("EnsureStreams = %v, want ErrStreamNotFound", err)
			}
			for _, name := range []string{"EVENTS", "EVENTS_DLQ"} {
				named := strings.Contains(err.Error(), "stream "+name+":")
				if want := slices.Contains(tc.missing, name); named != want {
					t.Errorf("error names %s: %v, want %v; error: %v", name, named, want, err)
				}
			}
			if _, err := js.Stream(ctx, "EVENTS_DLQ"); len(tc.existing) < 2 && !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("unmanaged EnsureStreams created a stream")
			}
		})
	}
}

func TestEnsureStreamsErrors(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())

	t.Run("invalid config", func(t *testing.T) {
		cfg := testConfig()
		cfg.Replicas = 0
		if err := EnsureStreams(natstest.Context(t, time.Second), js, cfg); err == nil || !strings.Contains(err.Error(), "replicas") {
			t.Errorf("EnsureStreams = %v, want a replicas error", err)
		}
	})
	t.Run("replicas beyond a single server", func(t *testing.T) {
		cfg := testConfig()
		cfg.Replicas = 3
		err := EnsureStreams(natstest.Context(t, 2*time.Second), js, cfg)
		if err == nil || !strings.Contains(err.Error(), "stream EVENTS") {
			t.Fatalf("EnsureStreams = %v, want an error naming stream EVENTS", err)
		}
		if !errors.Is(err, ErrRejected) || errors.Is(err, ErrUnavailable) {
			t.Errorf("EnsureStreams = %v, want ErrRejected and not ErrUnavailable", err)
		}
	})
}
