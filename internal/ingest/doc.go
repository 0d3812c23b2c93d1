// Package ingest owns the bridge's front doors: the webhook HTTP handler
// (and, later, the NATS consumer and the events-protocol endpoint). Each
// turns its input into a transform.Input, hands it to the pipeline, and maps
// the pipeline's Verdict to its own protocol. Nothing is parsed before the
// provider's signature over the raw bytes holds.
package ingest
