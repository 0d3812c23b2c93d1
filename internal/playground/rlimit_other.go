//go:build !linux

package playground

import "time"

// limitSelf sets no limit outside Linux: the worker is bounded by its
// evaluation budget and the handler's wall clock only.
func limitSelf(memory int64, cpu time.Duration) error { return nil }

// killedByLimit is false: no limit kills a worker here.
func killedByLimit(err error) bool { return false }
