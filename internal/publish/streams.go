package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureStreams makes the events stream and the dead-letter stream match
// cfg: it creates a missing stream and updates one whose subjects,
// replicas, duplicate window, max bytes, max age, discard policy or direct
// get differ, leaving its other settings alone. Both streams get the same
// limits, file storage (when created), discard policy new (a full stream
// refuses writes instead of deleting stored events) and AllowDirect. With
// cfg.ManageStreams false it only checks that both exist and names any
// that is missing (the error matches jetstream.ErrStreamNotFound).
//
// Transient failures (JetStream not reachable yet) are retried as in
// Publish until ctx is done; the error then wraps ErrUnavailable. Errors
// name the stream.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("publish: invalid config: %w", err)
	}
	r := newRetrier(cfg, slog.New(slog.DiscardHandler))
	var errs []error
	events := streamConfig(cfg, cfg.Stream, "bridge events: CloudEvents, subject = event type", cfg.Subjects)
	// Concurrent deliveries' events are stored as one atomic batch, synced
	// once (see Batcher).
	events.AllowAtomicPublish = true
	for _, want := range []jetstream.StreamConfig{
		events,
		streamConfig(cfg, cfg.DLQStream, "bridge dead letters: payloads that could not be mapped", cfg.DLQSubjects),
	} {
		if err := ensureStream(ctx, r, js, want, cfg.ManageStreams); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// EnsureStream makes one more stream match want, the way EnsureStreams does
// for the events and dead-letter streams (create, or update the settings
// the bridge manages; only check when cfg.ManageStreams is false), with
// cfg's retries. The NATS ingestor uses it for its INGEST stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg Config, want jetstream.StreamConfig) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("publish: invalid config: %w", err)
	}
	return ensureStream(ctx, newRetrier(cfg, slog.New(slog.DiscardHandler)), js, want, cfg.ManageStreams)
}

func streamConfig(cfg Config, name, description string, subjects []string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        name,
		Description: description,
		Subjects:    slices.Clone(subjects),
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.MaxAge,
		Discard:     jetstream.DiscardNew,
		AllowDirect: true,
	}
}

func ensureStream(ctx context.Context, r retrier, js jetstream.JetStream, want jetstream.StreamConfig, manage bool) error {
	what := "check stream " + want.Name
	if manage {
		what = "create or update stream " + want.Name
	}
	missing := false
	err := r.do(ctx, what, func(ctx context.Context) error {
		s, err := js.Stream(ctx, want.Name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound) && !manage:
			missing = true
			return nil
		case errors.Is(err, jetstream.ErrStreamNotFound):
			_, err = js.CreateStream(ctx, want)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				// Created meanwhile by someone else (another bridge): compare again.
				return fmt.Errorf("%w: %w", errRetry, err)
			}
			return err
		case err != nil:
			return err
		case !manage:
			return nil
		}
		have := s.CachedInfo().Config
		upd, changed := update(have, want)
		if !changed {
			return nil
		}
		_, err = js.UpdateStream(ctx, upd)
		return err
	})
	if err != nil {
		return err
	}
	if missing {
		return fmt.Errorf("publish: stream %s: %w (streams are not managed by the bridge: create it, or let the bridge manage streams)", want.Name, jetstream.ErrStreamNotFound)
	}
	return nil
}

// update returns have with the settings the bridge manages taken from
// want, and whether any of them differed.
func update(have, want jetstream.StreamConfig) (jetstream.StreamConfig, bool) {
	changed := !slices.Equal(have.Subjects, want.Subjects) ||
		have.Replicas != want.Replicas ||
		have.Duplicates != want.Duplicates ||
		have.MaxBytes != want.MaxBytes ||
		have.MaxAge != want.MaxAge ||
		have.Discard != want.Discard ||
		have.AllowDirect != want.AllowDirect ||
		(want.AllowAtomicPublish && !have.AllowAtomicPublish)
	upd := have
	upd.AllowAtomicPublish = have.AllowAtomicPublish || want.AllowAtomicPublish
	upd.Subjects = want.Subjects
	upd.Replicas = want.Replicas
	upd.Duplicates = want.Duplicates
	upd.MaxBytes = want.MaxBytes
	upd.MaxAge = want.MaxAge
	upd.Discard = want.Discard
	upd.AllowDirect = want.AllowDirect
	return upd, changed
}
