// Package deadletter owns what the bridge does with its dead letters after they are
// written: reading them back from the dead-letter stream with filters
// (Stream.List), decoding one into the transform input it came from
// (Letter.Input), showing it with the mapping file's redact paths blanked
// (Letter.Show, Redact), and replaying it through the current mappings
// (Replayer), deleting it only once its outcome is stored.
//
// It does not write dead letters (publish.Publisher.DeadLetter does) nor map
// payloads (the pipeline does); cmd/bridge and the daemon's admin API only
// wire it.
package deadletter
