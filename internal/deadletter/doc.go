// Package deadletter owns the dead letter: a payload the bridge could not
// turn into events, stored byte for byte in the dead-letter stream with why.
// It reads them back from that stream with filters (Stream.List), decodes
// one (Decode) and shows it with redact paths blanked (Letter.Show, Redact).
//
// It does not map payloads (the pipeline does) nor replay them (its
// subpackage replay does, with the mappings and the pipeline); cmd/bridge
// and the daemon's admin API only wire it.
package deadletter
