// Package ingest owns the bridge's four doors: the webhook HTTP handler
// (webhook.go), the NATS INGEST stream consumer (natsin.go) and core NATS
// request/reply (natsrequest.go), configured by NATSConfig (natsconfig.go),
// and the events-protocol endpoint (events.go; the subpackage envelope
// reads its calls). Each door checks its input (nothing is parsed before a
// webhook's signature over the raw bytes holds), builds a transform.Input
// with transform.NewInput, hands it to the pipeline through the one
// delivery path the doors share (deliver.go: span, deadline, pipeline
// call, outcome metrics), and maps the pipeline's Verdict to its own
// protocol (answer.go; HTTP problems are written by internal/problem). It
// also owns the doors' guards: rate limits, the budget of request bodies
// in memory, sampled rejection logs.
//
// It does not map (transform), deduplicate (idem), store (publish) or
// decide a delivery's verdict (pipeline).
package ingest
