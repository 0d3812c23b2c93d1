package daemon

import (
	"net"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/transform"
)

// minSecretLen is the shortest signing secret the bridge takes without a
// warning: an HMAC key of fewer than 16 bytes can be guessed.
const minSecretLen = 16

// envRef is a mapping file's reference to a secret in the environment.
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// warnShortSecrets logs a warning for each signing secret of set (a
// webhook.signature secret or an entry of secrets, as the environment
// gives it) shorter than minSecretLen bytes, naming the mapping file, the
// setting and the environment variable, never the value or its length.
func (d *Daemon) warnShortSecrets(set *transform.Set) {
	for _, p := range set.Providers() {
		m, ok := set.Mapping(p)
		if !ok {
			continue
		}
		for _, ref := range secretRefs(m.File) {
			if v, ok := os.LookupEnv(ref.env); ok && v != "" && len(v) < minSecretLen {
				d.log.Warn("signing secret shorter than 16 bytes; use a long random secret",
					"file", m.File, "setting", ref.setting, "env", ref.env)
			}
		}
	}
}

// secretRef is one secret setting of a mapping file and the variable it
// names.
type secretRef struct{ setting, env string }

// secretRefs reads the secret references of a mapping file: the file has
// just loaded, so it parses; a file that does not is skipped.
func secretRefs(file string) []secretRef {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var refs []secretRef
	add := func(setting string, n *yaml.Node) {
		if n != nil && n.Kind == yaml.ScalarNode {
			if m := envRef.FindStringSubmatch(strings.TrimSpace(n.Value)); m != nil {
				refs = append(refs, secretRef{setting, m[1]})
			}
		}
	}
	root := doc.Content[0]
	sig := child(child(root, "webhook"), "signature")
	add("webhook.signature.secret", child(sig, "secret"))
	if list := child(sig, "secrets"); list != nil && list.Kind == yaml.SequenceNode {
		for _, n := range list.Content {
			add("webhook.signature.secrets", n)
		}
	}
	if named := child(root, "secrets"); named != nil && named.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(named.Content); i += 2 {
			add("secrets."+named.Content[i].Value, named.Content[i+1])
		}
	}
	return refs
}

// child is the value of key in the YAML mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
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
