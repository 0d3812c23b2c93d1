package subscriber

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler handles one event. It returns nil once the event's effect is
// done; an error makes the kit retry it with backoff (Permanent: dead-letter
// it at once). ctx ends when the subscriber gives up on the handler: Drain
// after Run's context ended.
type Handler func(ctx context.Context, e event.Event) error

const (
	// ackWait is the consumer's AckWait; held messages are kept in
	// progress every ackWait/3.
	ackWait = 30 * time.Second
	// heldPerWorker bounds the messages held at once (the consumer's
	// MaxAckPending): Concurrency times this.
	heldPerWorker = 16
	// laneInvalid is the lane of messages that are not CloudEvents, whose
	// entity is unknown.
	laneInvalid = "\x00not a cloudevent"
)

// Run consumes cfg.Stream with the durable pull consumer cfg.Name and hands
// each valid event to h, at most once per idempotencykey and one at a time
// per entity (CloudEvents subject), in stream order. It creates or updates
// the consumer, the subscriber's KV bucket (Bucket) and its dead-letter
// stream (DeadLetterStream), then blocks until ctx ends; it then stops
// pulling, lets running handlers finish (up to cfg.Drain) and returns nil.
// It returns an error, at once, for an invalid Config (every problem,
// joined, each wrapping ErrInvalidConfig) or a JetStream set-up that
// fails. It requires nats-server 2.14 or later (consumer reset).
//
// See docs/subscribers.md for the guarantees and their limits.
func Run(ctx context.Context, js jetstream.JetStream, cfg Config, h Handler) error {
	cfg = cfg.withDefaults()
	errs := []error{cfg.validate()}
	if h == nil {
		errs = append(errs, fmt.Errorf("%w: handler is nil", ErrInvalidConfig))
	}
	if js == nil {
		errs = append(errs, fmt.Errorf("%w: jetstream is nil", ErrInvalidConfig))
	}
	sch, err := loadSchemas(cfg.Schemas)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s := &sub{cfg: cfg, js: js, h: h, schemas: sch, lanes: newLanes(),
		log: cfg.Logger.With("subscriber", cfg.Name)}
	cons, err := s.setUp(ctx)
	if err != nil {
		return fmt.Errorf("subscriber %s: %w", cfg.Name, err)
	}
	return s.run(ctx, cons)
}

type sub struct {
	cfg     Config
	js      jetstream.JetStream
	h       Handler
	schemas *schemas
	log     *slog.Logger

	kv         kvStore
	store      Store
	dead       deadLetters
	lanes      *lanes
	keys       keyLocks
	replayUpTo uint64 // the consumer's last delivered stream sequence at start
}

// setUp creates or updates the bucket, the dead-letter stream and the
// consumer, and rewinds the consumer to its ack floor: what a previous
// run had been delivered but not acknowledged (it crashed) comes again now,
// in stream order, before anything newer.
func (s *sub) setUp(ctx context.Context) (jetstream.Consumer, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket(s.cfg.Name),
		Description: "idempotency keys handled by subscriber " + s.cfg.Name,
		TTL:         s.cfg.DoneTTL,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    s.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", Bucket(s.cfg.Name), err)
	}
	s.kv = kvStore{kv}
	s.store = s.cfg.Store
	if s.store == nil {
		s.store = s.kv
	}
	s.dead = deadLetters{js: s.js, name: s.cfg.Name, stream: s.cfg.Stream}
	if err := s.dead.ensure(ctx, s.cfg.Replicas); err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", DeadLetterStream(s.cfg.Name), err)
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, jetstream.ConsumerConfig{
		Durable:        s.cfg.Name,
		Description:    "subscriber " + s.cfg.Name,
		FilterSubjects: s.cfg.Subjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1, // the kit counts attempts and dead-letters itself
		MaxAckPending:  s.cfg.Concurrency * heldPerWorker,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s on stream %s: %w", s.cfg.Name, s.cfg.Stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", s.cfg.Name, err)
	}
	s.replayUpTo = info.Delivered.Stream
	if info.NumAckPending > 0 {
		if _, err := s.js.ResetConsumer(ctx, s.cfg.Stream, s.cfg.Name); err != nil {
			return nil, fmt.Errorf("consumer %s: reset to its ack floor (nats-server 2.14 or later): %w", s.cfg.Name, err)
		}
		s.log.Info("resumed from the ack floor", "ack_floor", info.AckFloor.Stream, "last_delivered", info.Delivered.Stream)
	}
	return cons, nil
}

func (s *sub) run(ctx context.Context, cons jetstream.Consumer) error {
	// Handlers, records and acks run under work, which outlives ctx by
	// Drain so that what is running can finish.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	cc, err := cons.Consume(s.dispatch,
		jetstream.PullMaxMessages(s.cfg.Concurrency*heldPerWorker),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			s.log.Warn("pulling events", "error", err)
		}))
	if err != nil {
		return fmt.Errorf("subscriber %s: consume: %w", s.cfg.Name, err)
	}
	var workers sync.WaitGroup
	for range s.cfg.Concurrency {
		workers.Go(func() {
			for {
				l, d, ok := s.lanes.next()
				if !ok {
					return
				}
				s.process(ctx, work, d)
				s.lanes.finish(l, d)
			}
		})
	}
	tickerDone := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.lanes.inProgress()
			case <-tickerDone:
				return
			}
		}
	})

	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	s.lanes.close()
	drain := time.AfterFunc(s.cfg.Drain, cancelWork)
	workers.Wait()
	drain.Stop()
	close(tickerDone)
	ticker.Wait()
	return nil
}

// dispatch is the consumer's callback: it decodes the message and queues
// it on its entity's lane. It never blocks on the handler.
func (s *sub) dispatch(m jetstream.Msg) {
	d := &delivery{msg: m}
	if meta, err := m.Metadata(); err == nil {
		d.seq, d.redelivery = meta.Sequence.Stream, meta.NumDelivered > 1
	}
	d.ev, d.structured, d.decodeErr = Decode(m.Headers(), m.Data())
	key := laneInvalid
	if d.decodeErr == nil {
		key = "subject:" + d.ev.Subject()
	}
	s.lanes.push(key, d)
}
