package playground

import (
	"context"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/ingest/envelope"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Input is one payload to map without publishing it.
type Input struct {
	Body        []byte
	ContentType string            // the body's media type; "" is application/json
	Headers     map[string]string // request headers, names in any case
	ReceivedAt  time.Time         // `received_at`, and the time of events whose rule sets none
}

// Map is the dry run `bridge map` and POST /api/map share: it reads the
// payload as the ingestor of the mapping file would (an events-protocol
// envelope for a file that accepts only the events protocol, as fixtures
// do; else a webhook body of the given content type) and applies the
// file's rules. The error says why the payload cannot be read; a payload
// that reads but does not map is a Result with a Failure.
//
// The evaluation has transform.DefaultLimits.
func Map(m *transform.Mapping, in Input) (transform.Result, error) {
	return MapContext(context.Background(), m, in, transform.DefaultLimits)
}

// MapContext is Map within limits, stopped when ctx is done: the result is
// then a Failure whose error wraps the context's cause.
func MapContext(ctx context.Context, m *transform.Mapping, in Input, limits transform.Limits) (transform.Result, error) {
	tin, err := input(m, in)
	if err != nil {
		return transform.Result{}, err
	}
	return m.ApplyContext(ctx, tin, limits), nil
}

func input(m *transform.Mapping, in Input) (transform.Input, error) {
	header := http.Header{}
	for k, v := range in.Headers {
		header.Set(k, v)
	}
	if eventsOnly(m) {
		env, err := eventsprotocol.Parse(in.Body)
		if err != nil {
			return transform.Input{}, err
		}
		tin, err := envelope.Input(env, header, in.ReceivedAt)
		tin.Provider = m.Provider
		return tin, err
	}
	ct := in.ContentType
	if ct == "" {
		ct = transform.ContentJSON
	}
	payload, err := m.Decode(ct, in.Body)
	if err != nil {
		return transform.Input{}, err
	}
	kind := transform.IngestWebhook
	if !m.Accepts(kind) {
		kind = transform.IngestNATS
	}
	tin := transform.NewInput(m.Provider, kind, in.Body, header, in.ReceivedAt)
	tin.Payload = payload
	return tin, nil
}

// eventsOnly reports whether the file takes only events-protocol
// envelopes: its payloads are then envelopes, as in its fixtures.
func eventsOnly(m *transform.Mapping) bool {
	return m.Accepts(transform.IngestEvents) && !m.Accepts(transform.IngestWebhook) && !m.Accepts(transform.IngestNATS)
}
