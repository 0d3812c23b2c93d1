// Package publish owns the bridge's writes to NATS JetStream: the events
// and dead-letter streams (EnsureStreams), storing an event with its
// Nats-Msg-Id under retry with backoff (Publisher.Publish), and storing any
// message under the same retries (Publisher.Store, which
// deadletter.Writer writes dead letters with).
//
// It does not connect to NATS (package natsconn), build events or parse
// bodies: callers hand in the subject, the idempotency key and the headers
// (see the Header constants). Every error meaning "JetStream did not store
// it" wraps ErrUnavailable, which callers answer with 503.
package publish
