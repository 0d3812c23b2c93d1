// Package deadletter owns the dead letter: a payload the bridge could not
// turn into events, stored byte for byte in the dead-letter stream with
// why. It declares every Reason; it owns the record (Letter, its headers,
// Encode and Decode, its subject and its identity ID) and the one Writer
// that the pipeline, the NATS ingestor and replay store dead letters with;
// and it reads them back with filters (Stream.List), deletes them, and
// shows them with redact paths blanked (Letter.Show, Redact).
//
// It does not map payloads (the pipeline does) nor replay them: what needs
// the mappings and the pipeline is its subpackage replay, since transform
// and pipeline import this package for its reasons and its writer.
// cmd/bridge and the daemon only wire them.
package deadletter
