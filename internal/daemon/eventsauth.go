package daemon

import (
	"fmt"
	"strings"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/ingest"
	"github.com/bridge-dev/bridge/internal/transform"
)

// checkEventsAuth refuses a mapping set in which some file accepts the
// events protocol while the events endpoint takes envelopes from anyone
// (--events-auth none) only because that is the default: an envelope
// posted there would be stored as that provider's event with no
// signature. Written on purpose (a flag, BRIDGE_EVENTS_AUTH or
// events.auth), none is accepted. The error names the files and the
// settings that fix it.
func checkEventsAuth(cfg config.Config, set *transform.Set) error {
	if cfg.EventsAuth != ingest.EventsAuthNone || cfg.EventsAuthSource != "" {
		return nil
	}
	var files []string
	for _, p := range set.Providers() {
		if m, ok := set.Mapping(p); ok && m.Accepts(transform.IngestEvents) {
			files = append(files, m.File)
		}
	}
	if len(files) == 0 {
		return nil
	}
	return fmt.Errorf("%s accept%s the events protocol, but POST /events/ authenticates no caller (--events-auth is none by default): "+
		"anyone could post envelopes stored as their events; set --events-auth token or jwt (BRIDGE_EVENTS_AUTH, events.auth; secret in %s), "+
		"or set --events-auth none explicitly to keep the endpoint open, or leave events out of the files' accepts",
		strings.Join(files, ", "), plural(len(files)), config.EnvEventsSecret)
}

func plural(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
