// Package idem owns idempotency: how the bridge derives the idempotency key
// of a delivery and of each event it yields, and how it derives the UUID of a
// provider's entity. The keys are UUID v5 (RFC 9562) in fixed namespaces, so
// the same delivery retried, on any replica, after any restart, gives the
// same key, and golden events reproduce.
//
// The dedupe store beyond the stream's duplicate window lives here too
// (Store: a KV bucket, with a local negative cache so that a new delivery
// costs no round trip); within the window JetStream's Nats-Msg-Id does the
// work.
package idem
