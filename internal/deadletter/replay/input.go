package replay

import (
	"errors"
	"fmt"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/ingest/envelope"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/transform"
)

// ErrNotReplayable is wrapped by Input for a dead letter whose body
// the current mapping cannot turn back into a payload: not JSON, a content
// type the file no longer accepts, or an ingest kind replay does not know.
var ErrNotReplayable = errors.New("dead letter cannot be decoded for replay")

// Input turns the dead letter l back into what its ingestor handed the
// pipeline, with the payload decoded by m as the ingestor would: a webhook
// body by its original Content-Type (JSON when it had none), a NATS or
// backfill body as JSON. The error wraps ErrNotReplayable; the Input
// still carries the body and headers.
func Input(l deadletter.Letter, m *transform.Mapping) (transform.Input, error) {
	in := transform.NewInput(l.Provider, l.Ingest, l.Body, l.Header.Clone(), l.ReceivedAt)
	in.Query = l.Query
	var err error
	switch l.Ingest {
	case transform.IngestWebhook:
		ct := l.Header.Get("Content-Type")
		if ct == "" {
			ct = transform.ContentJSON
		}
		in.Payload, err = m.Decode(ct, l.Body)
	case transform.IngestNATS, transform.IngestBackfill: // a backfill's body is an item of the list, as JSON
		in.Payload, err = jsonx.Decode(l.Body)
	case transform.IngestEvents:
		// The body is the envelope (auth values blanked): decode it as the
		// events endpoint does, so the same rule sees the same fields and the
		// call keeps its idempotency key.
		var env *eventsprotocol.Envelope
		if env, err = eventsprotocol.Parse(l.Body); err == nil {
			var ein transform.Input
			if ein, err = envelope.Input(env, l.Header, l.ReceivedAt); err == nil {
				ein.Provider, ein.Body = l.Provider, l.Body
				in = ein
			}
		}
	default:
		err = fmt.Errorf("ingest %q is not replayed", l.Ingest)
	}
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrNotReplayable, err)
	}
	return in, nil
}

// Show shows each letter with its provider's mapping in set (nil: none
// loaded, bodies hidden).
func Show(letters []deadletter.Letter, set *transform.Set) []deadletter.View {
	views := make([]deadletter.View, len(letters))
	for i, l := range letters {
		var m *transform.Mapping
		if set != nil {
			m, _ = set.Mapping(l.Provider)
		}
		if m == nil {
			views[i] = l.Show(nil, false)
			continue
		}
		views[i] = l.Show(m.Redact, true)
	}
	return views
}
