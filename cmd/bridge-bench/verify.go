package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

// verifyTimeout bounds reading the EVENTS stream back.
const verifyTimeout = 10 * time.Minute

// ExactlyOnce is what reading the EVENTS stream back found.
type ExactlyOnce struct {
	OK bool `json:"ok"`
	// Answered is how many events the 2xx answers named (warm-up included).
	Answered int64 `json:"answered_2xx_events"`
	// Uncertain is how many deliveries got no 2xx (an error status or no
	// answer): each may or may not have stored its event.
	Uncertain int64 `json:"uncertain_deliveries"`
	// StreamEvents is how many messages EVENTS holds.
	StreamEvents uint64 `json:"stream_events"`
	// DistinctKeys is how many distinct idempotencykey values they carry.
	DistinctKeys int `json:"distinct_idempotency_keys"`
	// RepeatedKeys is how many events carry a key an earlier one has.
	RepeatedKeys int `json:"repeated_idempotency_keys"`
	// Missing is how many answered event ids are not in the stream.
	Missing int `json:"answered_but_missing"`
	// DeadLetters is how many messages EVENTS_DLQ holds.
	DeadLetters uint64   `json:"dead_letters"`
	ReadSeconds float64  `json:"read_seconds"`
	Problems    []string `json:"problems,omitempty"`
}

// verify reads the EVENTS stream from sequence from (the run's first
// event) with an ordered consumer and checks it against what the loader
// was answered: exactly one event per event answered 2xx (a delivery
// without a 2xx may have stored one, and is allowed to), no idempotency key
// twice, every answered id present.
func verify(ctx context.Context, js jetstream.JetStream, l *loader, from uint64) (ExactlyOnce, error) {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	start := time.Now()
	l.mu.Lock()
	answered := make(map[uuid.UUID]bool, len(l.answered))
	for _, id := range l.answered {
		answered[id] = false
	}
	v := ExactlyOnce{Answered: int64(len(l.answered)), Uncertain: l.uncertain}
	if len(answered) != len(l.answered) {
		v.Problems = append(v.Problems, fmt.Sprintf("%d event ids were answered more than once", len(l.answered)-len(answered)))
	}
	l.mu.Unlock()

	if s, err := js.Stream(ctx, "EVENTS_DLQ"); err == nil {
		if info, err := s.Info(ctx); err == nil {
			v.DeadLetters = info.State.Msgs
		}
	}
	s, err := js.Stream(ctx, "EVENTS")
	if err != nil {
		return v, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return v, err
	}
	from, last := max(from, info.State.FirstSeq), info.State.LastSeq
	keys := make(map[uuid.UUID]struct{})
	if info.State.Msgs > 0 && last >= from {
		cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from})
		if err != nil {
			return v, err
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(1000))
		if err != nil {
			return v, err
		}
		defer it.Stop()
		// Up to the last event stored when the load ended, gaps (deleted
		// messages) included.
		for seq := uint64(0); seq < last; {
			m, err := it.Next(jetstream.NextContext(ctx))
			if err != nil {
				return v, fmt.Errorf("after %d events, up to sequence %d: %w", v.StreamEvents, last, err)
			}
			v.StreamEvents++
			if md, err := m.Metadata(); err == nil {
				seq = md.Sequence.Stream
			} else {
				return v, fmt.Errorf("event %d: %w", v.StreamEvents, err)
			}
			var ev struct {
				ID             string `json:"id"`
				IdempotencyKey string `json:"idempotencykey"`
			}
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				v.Problems = append(v.Problems, fmt.Sprintf("%s: not a JSON event: %v", m.Subject(), err))
				continue
			}
			key, err1 := uuid.Parse(ev.IdempotencyKey)
			id, err2 := uuid.Parse(ev.ID)
			if err1 != nil || err2 != nil {
				v.Problems = append(v.Problems, fmt.Sprintf("event %q has idempotencykey %q: want UUIDs", ev.ID, ev.IdempotencyKey))
				continue
			}
			if _, dup := keys[key]; dup {
				v.RepeatedKeys++
			}
			keys[key] = struct{}{}
			if _, ok := answered[id]; ok {
				answered[id] = true
			}
		}
	}
	v.DistinctKeys = len(keys)
	for _, found := range answered {
		if !found {
			v.Missing++
		}
	}
	v.ReadSeconds = time.Since(start).Seconds()
	v.judge()
	return v, nil
}

// judge lists what the counts of v break of exactly once, and sets OK.
func (v *ExactlyOnce) judge() {
	if v.RepeatedKeys > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d events repeat an idempotency key", v.RepeatedKeys))
	}
	if v.Missing > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d events answered 2xx are not in EVENTS", v.Missing))
	}
	switch n := int64(v.StreamEvents); {
	case n < v.Answered:
		v.Problems = append(v.Problems, fmt.Sprintf("EVENTS holds %d events, fewer than the %d answered 2xx", n, v.Answered))
	case n > v.Answered+v.Uncertain:
		v.Problems = append(v.Problems, fmt.Sprintf("EVENTS holds %d events, more than the %d answered 2xx and %d without an answer",
			n, v.Answered, v.Uncertain))
	}
	v.OK = len(v.Problems) == 0
}
