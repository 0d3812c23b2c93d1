package daemon

import (
	"net"
	"os"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/transform"
)

// minSecretLen is the shortest signing secret the bridge takes without a
// warning: an HMAC key of fewer than 16 bytes can be guessed.
const minSecretLen = 16

// warnShortSecrets logs a warning for each signing secret of set (a
// webhook.signature secret or an entry of secrets, as the environment
// gives it) shorter than minSecretLen bytes, naming the mapping file, the
// setting and the environment variable, never the value or its length.
// The references are those the loader resolved (Mapping.SecretRefs).
func (d *Daemon) warnShortSecrets(set *transform.Set) {
	for _, p := range set.Providers() {
		m, ok := set.Mapping(p)
		if !ok {
			continue
		}
		for _, ref := range m.SecretRefs() {
			if v, ok := os.LookupEnv(ref.Env); ok && v != "" && len(v) < minSecretLen {
				d.log.Warn("signing secret shorter than 16 bytes; use a long random secret",
					"file", m.File, "setting", ref.Setting, "env", ref.Env)
			}
		}
	}
}

// warnMappings logs each warning of the mapping set (transform.Warning:
// what loads but is likely not meant, and the idempotency-key collisions
// of its fixtures, run as bridge test runs them, those whose payload files
// are there) once per load, at start and at each reload, with its position
// and slug. scheme none is what a listener that requires client
// certificates (--tls-client-ca) is for: its none-unverified warning is
// left out then. A warning names settings, never their values.
func (d *Daemon) warnMappings(set *transform.Set) {
	warnings := set.Warnings()
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		warnings = append(warnings, fixture.KeyCollisions(m)...)
	}
	transform.SortWarnings(warnings)
	for _, w := range transform.ForListener(warnings, d.cfg.TLSClientCA != "") {
		d.log.Warn("mapping warning", "file", w.File, "line", w.Line, "column", w.Column, "rule", w.Rule, "slug", w.Slug, "warning", w.Msg)
	}
}

// warnNATSPlaintext logs a warning when the bridge authenticated to NATS
// over a connection without TLS: a password or token travels readable, and
// with any method the events do. It names the settings, never their values.
func (d *Daemon) warnNATSPlaintext() {
	if d.cfg.Embedded() || d.nc == nil {
		return
	}
	var settings []string
	for _, s := range []struct{ name, value string }{
		{"--nats-creds", d.cfg.NATSCreds}, {"--nats-nkey", d.cfg.NATSNkey},
		{"--nats-user and BRIDGE_NATS_PASSWORD", d.cfg.NATSUser}, {"BRIDGE_NATS_TOKEN", string(d.cfg.NATSToken)},
	} {
		if s.value != "" {
			settings = append(settings, s.name)
		}
	}
	if len(settings) == 0 {
		return
	}
	if _, err := d.nc.TLSConnectionState(); err == nil {
		return
	}
	d.log.Warn("NATS credentials sent without TLS; use tls:// URLs and --nats-tls-ca",
		"settings", settings, "url", withoutCredentials(d.nc.ConnectedUrl()))
}

// warnOpenAdmin logs a warning when the admin listener listens beyond the
// loopback interface without BRIDGE_ADMIN_TOKEN: the Host check lets IP
// addresses through, so anyone on the network who reaches the port reads
// the stored events (/api/events), the dead letters and replays them.
func (d *Daemon) warnOpenAdmin(addr net.Addr) {
	if d.cfg.AdminToken != "" {
		return
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return
	}
	d.log.Warn("admin listener reachable beyond loopback without a token; set BRIDGE_ADMIN_TOKEN (or listen on 127.0.0.1)",
		"admin", addr.String())
}
