// Package subscriber is the kit for services that consume the events the
// bridge stores in JetStream (stream EVENTS, subjects event.>): Run pulls
// them with a durable consumer, decodes each with sdk-go, checks it against
// the bridge's CloudEvents profile (and its JSON Schema, with
// Config.Schemas), and hands it to a Handler
//
//   - once per idempotencykey: a success is recorded in a KV bucket before
//     the message is acknowledged, so an event stored twice upstream (two
//     ids, one key) or redelivered reaches the handler once; after a crash,
//     only the events the handler was running at that moment can reach it
//     again (a Store closes that window for handlers with their own
//     transactional database);
//   - in stream order per entity (CloudEvents subject), different entities
//     in parallel (Config.Concurrency);
//   - with retries and backoff, then into the subscriber's own dead-letter
//     stream (DeadLetterStream) with the reason, as is every message that
//     is not a valid event.
//
// A subscriber:
//
//	err := subscriber.Run(ctx, js, subscriber.Config{
//		Name:     "ledger",
//		Subjects: []string{"event.stripe.>"},
//	}, func(ctx context.Context, e cloudevents.Event) error {
//		var data struct{ Amount int64 }
//		if err := e.DataAs(&data); err != nil {
//			return subscriber.Permanent(err)
//		}
//		return book(ctx, subscriber.KeyOf(e), data.Amount)
//	})
//
// It owns the consumer, the bucket and the dead-letter stream named after
// Config.Name; it does not own the events stream, which the bridge
// creates. docs/subscribers.md states the guarantees and their limits.
package subscriber
