package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/nats-io/nats.go/jetstream"
)

// remote is a bridge that runs elsewhere (--target): driven, not measured.
type remote struct{ base *url.URL }

func newRemote(target string) *remote {
	u, _ := url.Parse(target) // checked by Options.check
	return &remote{base: u}
}

func (r *remote) HTTPAddr() string           { return r.base.Host }
func (r *remote) Usage() (usage, error)      { return usage{}, nil }
func (r *remote) Stop(context.Context) error { return nil }
func (r *remote) Describe() (string, string) {
	return "remote (" + r.base.String() + ")", "not measured: the bridge runs elsewhere"
}

// targetSecret is the signing secret of the bridge at --target: the
// variable the bridge itself reads it from.
func targetSecret(provider string) (string, error) {
	if provider != "stripe" {
		return "", nil // unsigned
	}
	s := os.Getenv("STRIPE_WEBHOOK_SECRET")
	if s == "" {
		return "", errors.New("--target with --provider stripe: set STRIPE_WEBHOOK_SECRET to the bridge's signing secret")
	}
	return s, nil
}

// nextSeq is the sequence the next message stored in stream will have.
func nextSeq(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 1, nil // the bridge creates it
	}
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return info.State.LastSeq + 1, nil
}
