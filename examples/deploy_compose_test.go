package examples

import (
	"bufio"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/config"
)

const composeDir = "compose"

// composeFile is what the tests read of compose.yaml.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string         `yaml:"image"`
	Build           *composeBuild  `yaml:"build"`
	Command         []string       `yaml:"command"`
	Environment     composeEnv     `yaml:"environment"`
	EnvFile         []string       `yaml:"env_file"`
	Volumes         []string       `yaml:"volumes"`
	Ports           []string       `yaml:"ports"`
	Healthcheck     *composeHealth `yaml:"healthcheck"`
	DependsOn       map[string]any `yaml:"depends_on"`
	StopGracePeriod string         `yaml:"stop_grace_period"`
	NetworkMode     string         `yaml:"network_mode"`
	ReadOnly        bool           `yaml:"read_only"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type composeHealth struct {
	Test []string `yaml:"test"`
}

// composeEnv is a service's environment, written as a map or as a list of
// NAME=value.
type composeEnv map[string]string

func (e *composeEnv) UnmarshalYAML(n *yaml.Node) error {
	*e = composeEnv{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			(*e)[k] = v
		}
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a map or a list", n.Line)
	}
	return nil
}

// mount is a short-syntax volume: source:target[:mode].
type mount struct{ source, target, mode string }

func parseMount(t *testing.T, s string) mount {
	t.Helper()
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		t.Fatalf("volume %q: want source:target[:mode]", s)
	}
	m := mount{source: parts[0], target: parts[1]}
	if len(parts) == 3 {
		m.mode = parts[2]
	}
	return m
}

// bind reports whether the mount is a host path (not a named volume).
func (m mount) bind() bool {
	return strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeYAML(t, filepath.Join(composeDir, "compose.yaml"), &c)
	return c
}

// natsNode is one NATS service of compose.yaml with the options its
// nats-server would run with.
type natsNode struct {
	service string
	opts    *server.Options
	volume  string // the named volume holding its JetStream store
}

// natsNodes returns the services running nats-server, each with the
// options nats-server builds from its command line and the mounted config
// file (read from this directory).
func natsNodes(t *testing.T, c composeFile) []natsNode {
	t.Helper()
	var nodes []natsNode
	for _, name := range sortedKeys(c.Services) {
		svc := c.Services[name]
		image, tag, _ := strings.Cut(svc.Image, ":")
		if image != "nats" {
			continue
		}
		if !natsAtLeast(tag, 2, 12) {
			t.Errorf("%s: image %s: want nats 2.12 or later (atomic batches)", name, svc.Image)
		}
		args := slices.Clone(svc.Command)
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			args = args[1:] // "nats-server"
		}
		mounts := map[string]mount{}
		for _, v := range svc.Volumes {
			m := parseMount(t, v)
			mounts[m.target] = m
		}
		cfg := -1
		for i, a := range args {
			if (a == "--config" || a == "-c") && i+1 < len(args) {
				cfg = i + 1
			}
		}
		if cfg < 0 {
			t.Fatalf("%s: command %q has no --config", name, svc.Command)
		}
		m, ok := mounts[args[cfg]]
		if !ok || !m.bind() || m.mode != "ro" {
			t.Fatalf("%s: --config %s is not a file mounted read-only from this directory", name, args[cfg])
		}
		args[cfg] = filepath.Join(composeDir, m.source)
		fs := flag.NewFlagSet("nats-server", flag.ContinueOnError)
		opts, err := server.ConfigureOptions(fs, args, func() {}, func() {}, func() {})
		if err != nil {
			t.Fatalf("%s: nats-server %q: %v", name, args, err)
		}
		node := natsNode{service: name, opts: opts}
		for _, m := range mounts {
			if !m.bind() && opts.StoreDir != "" && strings.HasPrefix(opts.StoreDir+"/", strings.TrimSuffix(m.target, "/")+"/") {
				node.volume = m.source
			}
		}
		nodes = append(nodes, node)
	}
	return nodes
}

// natsAtLeast reports whether an image tag such as "2.11-alpine" or
// "2.12.1" is at least major.minor.
func natsAtLeast(tag string, major, minor int) bool {
	v, _, _ := strings.Cut(tag, "-")
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (ma > major || (ma == major && mi >= minor))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestComposeNATSCluster: three nats-server nodes with JetStream, each with
// its own store volume, routed to each other, healthy once JetStream is up.
func TestComposeNATSCluster(t *testing.T) {
	c := loadCompose(t)
	nodes := natsNodes(t, c)
	if len(nodes) != 3 {
		t.Fatalf("%d NATS services, want 3", len(nodes))
	}
	names := map[string]bool{}
	volumes := map[string]string{}
	for _, n := range nodes {
		o := n.opts
		if !o.JetStream {
			t.Errorf("%s: JetStream is not enabled", n.service)
		}
		if o.ServerName == "" || names[o.ServerName] {
			t.Errorf("%s: server name %q is empty or not unique", n.service, o.ServerName)
		}
		names[o.ServerName] = true
		if n.volume == "" {
			t.Errorf("%s: the JetStream store %q is not on a named volume", n.service, o.StoreDir)
		} else if other, dup := volumes[n.volume]; dup {
			t.Errorf("%s and %s share the volume %s", other, n.service, n.volume)
		} else if _, declared := c.Volumes[n.volume]; !declared {
			t.Errorf("%s: volume %s is not declared under volumes:", n.service, n.volume)
		}
		volumes[n.volume] = n.service
		if o.Cluster.Name == "" || o.Cluster.Port <= 0 {
			t.Errorf("%s: no cluster name or port: %+v", n.service, o.Cluster)
		}
		routed := map[string]bool{}
		for _, r := range o.Routes {
			if r.Port() != strconv.Itoa(o.Cluster.Port) {
				t.Errorf("%s: route %s is not to the cluster port %d", n.service, r, o.Cluster.Port)
			}
			routed[r.Hostname()] = true
		}
		for _, other := range nodes {
			if !routed[other.service] {
				t.Errorf("%s: no route to %s (routes %v)", n.service, other.service, o.Routes)
			}
		}
		// The bridge lowers its body limit to max_payload - 128KiB; the
		// default limit should stay in force.
		if need := config.Default().BodyLimit + 128<<10; int64(o.MaxPayload) < need {
			t.Errorf("%s: max_payload %d lowers the bridge's default body limit: want at least %d", n.service, o.MaxPayload, need)
		}
		hc := c.Services[n.service].Healthcheck
		if hc == nil || !strings.Contains(strings.Join(hc.Test, " "), fmt.Sprintf(":%d/healthz", o.HTTPPort)) {
			t.Errorf("%s: the healthcheck should ask the monitoring port %d for /healthz", n.service, o.HTTPPort)
		}
	}
}

// TestComposeBridge: the bridge service is built from the repository,
// configured with real settings, pointed at the three nodes, and probed.
func TestComposeBridge(t *testing.T) {
	c := loadCompose(t)
	nodes := natsNodes(t, c)
	b, ok := c.Services["bridge"]
	if !ok {
		t.Fatalf("no bridge service among %v", sortedKeys(c.Services))
	}
	if b.Build == nil {
		t.Fatal("bridge: not built from the repository (no build:)")
	}
	df := b.Build.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if _, err := os.Stat(filepath.Join(composeDir, b.Build.Context, df)); err != nil {
		t.Errorf("bridge: build: %v", err)
	}
	if abs, _ := filepath.Abs(filepath.Join(composeDir, b.Build.Context)); abs != mustAbs(t, repoRoot) {
		t.Errorf("bridge: build context %s is not the repository", b.Build.Context)
	}

	env := b.Environment
	checkBridgeEnvNames(t, "compose.yaml bridge environment", sortedKeys(env))

	// BRIDGE_NATS_URL: the three nodes, on their client port.
	clientPort := map[string]int{}
	for _, n := range nodes {
		clientPort[n.service] = n.opts.Port
	}
	seen := map[string]bool{}
	for _, raw := range strings.Split(env["BRIDGE_NATS_URL"], ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Scheme != "nats" {
			t.Errorf("BRIDGE_NATS_URL: %q is not a nats:// URL", raw)
			continue
		}
		port, ok := clientPort[u.Hostname()]
		if !ok {
			t.Errorf("BRIDGE_NATS_URL: %s is not a NATS service", u.Hostname())
		} else if u.Port() != strconv.Itoa(port) {
			t.Errorf("BRIDGE_NATS_URL: %s: port %s, the server listens on %d", u.Hostname(), u.Port(), port)
		}
		seen[u.Hostname()] = true
	}
	if len(seen) != len(nodes) {
		t.Errorf("BRIDGE_NATS_URL %q names %d of the %d NATS nodes", env["BRIDGE_NATS_URL"], len(seen), len(nodes))
	}
	if env["BRIDGE_REPLICAS"] != "3" {
		t.Errorf("BRIDGE_REPLICAS = %q, want 3", env["BRIDGE_REPLICAS"])
	}
	for _, n := range nodes {
		if _, ok := b.DependsOn[n.service]; !ok {
			t.Errorf("bridge does not depend on %s", n.service)
		}
	}

	// Mappings and schemas: the repository's, mounted read-only where the
	// settings say.
	mounts := map[string]mount{}
	for _, v := range b.Volumes {
		m := parseMount(t, v)
		mounts[m.target] = m
	}
	for _, name := range []string{"BRIDGE_MAPPINGS", "BRIDGE_SCHEMAS"} {
		dir := env[name]
		m, ok := mounts[dir]
		if !ok {
			t.Errorf("%s=%q: nothing is mounted there", name, dir)
			continue
		}
		if !m.bind() || m.mode != "ro" {
			t.Errorf("%s: %s should be a read-only mount of a repository directory", name, m.source)
		}
		if fi, err := os.Stat(filepath.Join(composeDir, m.source)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %s is not a directory of the repository: %v", name, m.source, err)
		}
		if name == "BRIDGE_MAPPINGS" {
			checkComposeSecrets(t, b, mappingFiles(t, filepath.Join(composeDir, m.source)))
		}
	}

	// Ports: webhooks published; admin reachable inside the network and
	// published on the host's loopback only.
	httpPort, _ := listenPort(t, "BRIDGE_HTTP", setting(t, env, "BRIDGE_HTTP"))
	adminPort, adminReachable := listenPort(t, "BRIDGE_ADMIN", setting(t, env, "BRIDGE_ADMIN"))
	if !adminReachable {
		t.Errorf("BRIDGE_ADMIN %q is loopback: no probe or Prometheus outside the container reaches it", env["BRIDGE_ADMIN"])
	}
	published := map[int]string{}
	for _, p := range b.Ports {
		parts := strings.Split(p, ":")
		container, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			t.Fatalf("bridge port %q: %v", p, err)
		}
		host := ""
		if len(parts) == 3 {
			host = parts[0]
		}
		published[container] = host
	}
	if _, ok := published[httpPort]; !ok {
		t.Errorf("the webhook port %d is not published", httpPort)
	}
	if host, ok := published[adminPort]; ok && host != "127.0.0.1" {
		t.Errorf("the admin port %d is published on %q, want 127.0.0.1 only", adminPort, host)
	}

	// Shutdown: compose waits longer than the bridge drains.
	grace, err := time.ParseDuration(setting(t, env, "BRIDGE_GRACE"))
	if err != nil {
		t.Fatal(err)
	}
	stop, err := time.ParseDuration(b.StopGracePeriod)
	if err != nil || stop <= grace {
		t.Errorf("stop_grace_period %q must be longer than BRIDGE_GRACE %s", b.StopGracePeriod, grace)
	}

	// Readiness: the bridge's own healthcheck runs `bridge health`, which
	// reads the same BRIDGE_ADMIN and asks /readyz (the image has no shell
	// or curl, and needs no sidecar).
	if b.Healthcheck == nil || len(b.Healthcheck.Test) < 3 || b.Healthcheck.Test[0] != "CMD" ||
		filepath.Base(b.Healthcheck.Test[1]) != "bridge" || b.Healthcheck.Test[2] != "health" {
		t.Errorf("bridge: healthcheck %+v should be [CMD, /usr/local/bin/bridge, health, ...]", b.Healthcheck)
	}
}

// checkComposeSecrets: the env file compose reads is git-ignored, and its
// example sets every ${VAR} the mappings name, with placeholders only.
func checkComposeSecrets(t *testing.T, b composeService, mappings map[string]string) {
	t.Helper()
	if !slices.Contains(b.EnvFile, "bridge.env") {
		t.Errorf("bridge: env_file %v does not read bridge.env", b.EnvFile)
	}
	ignore, err := os.ReadFile(filepath.Join(composeDir, ".gitignore"))
	if err != nil || !slices.Contains(strings.Fields(string(ignore)), "bridge.env") {
		t.Errorf("bridge.env is not in %s/.gitignore", composeDir)
	}
	example := readEnvFile(t, filepath.Join(composeDir, "bridge.env.example"))
	var texts []string
	for _, text := range mappings {
		texts = append(texts, text)
	}
	for _, name := range secretRefs(texts...) {
		if _, ok := example[name]; !ok {
			t.Errorf("bridge.env.example does not set %s, which a mapping names", name)
		}
	}
	for k, v := range example {
		if !placeholder(v) {
			t.Errorf("bridge.env.example: %s=%q does not look like a placeholder (want REPLACE_ME in it)", k, v)
		}
	}
	checkBridgeEnvNames(t, "bridge.env.example", sortedKeys(example))
	provided := map[string]bool{}
	for k := range example {
		provided[k] = true
	}
	for k := range b.Environment {
		provided[k] = true
	}
	checkEventsSecret(t, "compose.yaml", b.Environment, provided)
}

// readEnvFile reads NAME=value lines, skipping comments and blank lines.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			t.Errorf("%s:%d: not NAME=value", path, line)
			continue
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
