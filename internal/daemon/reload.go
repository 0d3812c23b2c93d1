package daemon

import (
	"github.com/bridge-dev/bridge/internal/metrics"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Reload loads and compiles the whole mapping set aside and swaps it in only
// when every file is valid; on any problem the running set stays. A set
// that would open the events protocol to anyone is refused as bridge run
// refuses it (checkEventsAuth). Secrets
// are resolved from the environment, as at start. A delivery already in
// flight finishes on the set it started with (the webhook handler takes the
// set once per request). Reloads are serialized: a SIGHUP and a file change
// at the same moment run one after the other.
//
// The outcome is logged (a failure at Error, with every problem as
// file:line:col: message) and counted in bridge_mapping_reloads_total; the
// error is returned for callers that branch on it, not to be logged again.
func (d *Daemon) Reload() error { return d.reload("request", nil) }

// reload is Reload with its cause: trigger names what asked for it, files
// the mapping files whose change did.
func (d *Daemon) reload(trigger string, files []string) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	attrs := []any{"trigger", trigger, "dir", d.cfg.Mappings}
	if len(files) > 0 {
		attrs = append(attrs, "files", files)
	}
	set, err := d.loadMappings()
	if err == nil {
		err = checkEventsAuth(d.cfg, set)
	}
	if err != nil {
		d.metrics.MappingReloads.WithLabelValues(metrics.ResultFailure).Inc()
		d.log.Error("mapping reload failed; the running mappings stay", append(attrs, "problems", problemList(err))...)
		return err
	}
	d.swapIn(set)
	d.metrics.MappingReloads.WithLabelValues(metrics.ResultSuccess).Inc()
	d.log.Info("mappings reloaded", append(attrs, "providers", set.Providers())...)
	return nil
}

// swapIn makes set the running mapping set.
func (d *Daemon) swapIn(set *transform.Set) {
	d.mappings.Store(set)
	d.metrics.MappingProviders.Set(float64(len(set.Providers())))
	d.metrics.MappingLastReloadSuccess.SetToCurrentTime()
}

// problemList renders every problem of a transform.Load error as
// file:line:col: message, or the error itself when it carries none (the
// directory is gone, it holds no mapping file).
func problemList(err error) []string {
	ps := transform.DiagnosticsOf(err)
	if len(ps) == 0 {
		return []string{err.Error()}
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}
