package subscriber

import "github.com/bridge-dev/bridge/internal/transform"

// checkProfile returns every rule of the bridge's CloudEvents profile that
// the structured JSON form of an event breaks, joined, or nil. It is the
// bridge's own validator, so a subscriber accepts exactly what the bridge
// would store; this file is the only place the kit reaches into it.
func checkProfile(structured []byte) error {
	return transform.ValidateProfile(structured)
}
