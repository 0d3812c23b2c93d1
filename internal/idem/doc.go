// Package idem owns idempotency: how the bridge derives the idempotency key
// of a delivery and of each event it yields, and how it derives the UUID of a
// provider's entity. The keys are UUID v5 (RFC 9562) in fixed namespaces, so
// the same delivery retried, on any replica, after any restart, gives the
// same key, and golden events reproduce.
//
// The dedupe store beyond the stream's duplicate window lives here too
// (Store: a KV bucket, with a local negative cache so that a new delivery
// costs no round trip); within the window JetStream's Nats-Msg-Id does the
// work. The store reads and watches the bucket through nats.go's KV API;
// it writes records itself, behind the same API prefix (a JetStream domain
// included), so that concurrent deliveries' records share one atomic
// batch. OpenStore starts nothing: Store.Start starts the cache's watch,
// and Close waits for it.
//
// It does not store events (publish) nor decide what a duplicate answers
// (pipeline).
package idem
