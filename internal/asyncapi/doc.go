// Package asyncapi describes, as an AsyncAPI 3.0 document, every event a
// mapping set can make the bridge store: one channel per event type (its
// address is the NATS subject the type is stored on, in the events
// stream), its message (the NATS headers the bridge sets and the
// structured-mode CloudEvent, whose data is the type's JSON Schema when its
// rule names one), the NATS servers subscribers connect to, and the
// descriptions written as comments in the mapping files.
//
// It reads the set through transform's exported API and the mapping and
// schema files themselves; it does not load, validate or serve mappings,
// and it says nothing about the inputs (webhooks, raw NATS payloads,
// events-protocol envelopes), only about the stored events.
package asyncapi
