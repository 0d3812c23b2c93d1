package backfill

import (
	"context"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/pipeline"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Lookuper answers whether a delivery's events are stored: the
// idempotency store (idem.Store).
type Lookuper interface {
	Lookup(ctx context.Context, key uuid.UUID) (idem.Record, bool, error)
}

// DryRun is a Handler that stores nothing: it maps each item and asks the
// idempotency store whether its delivery is stored. Its verdicts say what
// a backfill would do: Published (would store), Duplicate, DeadLettered
// (would dead-letter, with the reason), Dropped; Failed when the store
// cannot answer.
type DryRun struct {
	Store Lookuper
}

// Handle maps in and looks its key up.
func (d DryRun) Handle(ctx context.Context, m *transform.Mapping, in transform.Input) pipeline.Verdict {
	res := m.ApplyContext(ctx, in, transform.DefaultLimits)
	v := pipeline.Verdict{IdempotencyKey: res.Key.String(), File: m.File}
	if res.Rule != nil {
		v.Rule, v.Many = res.Rule.Name, res.Rule.Each()
	}
	switch {
	case res.Dropped:
		v.Outcome = pipeline.Dropped
		return v
	case res.Failure != nil:
		v.Outcome, v.Reason, v.Field, v.Err = pipeline.DeadLettered, string(res.Failure.Reason), res.Failure.Field, res.Failure
		return v
	}
	rec, found, err := d.Store.Lookup(ctx, res.Key)
	if err != nil {
		v.Outcome, v.Err = pipeline.Failed, err
		return v
	}
	if found {
		v.Outcome = pipeline.Duplicate
		for _, r := range rec.Events {
			v.Events = append(v.Events, pipeline.EventRef{ID: r.ID, Type: r.Type, IdempotencyKey: r.IdempotencyKey, Duplicate: true})
		}
		return v
	}
	v.Outcome = pipeline.Published
	for _, ev := range res.Events {
		v.Events = append(v.Events, pipeline.EventRef{Type: ev.Type, IdempotencyKey: ev.IdempotencyKey.String()})
	}
	return v
}
