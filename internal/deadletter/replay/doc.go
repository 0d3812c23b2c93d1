// Package replay owns what needs the mappings and the pipeline to handle a
// dead letter: turning one back into the transform input it came from
// (Input), showing dead letters with their mapping file's redact paths
// (Show), replaying them through the current mappings (Replayer), deleting
// each only once its outcome is stored, and the admin API that lists and
// replays them (Handler; the daemon only mounts it).
//
// It is a package of its own, beside deadletter, because transform and
// pipeline import deadletter (its reasons and its writer): what imports
// them cannot live there.
package replay
