package examples

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

// The bridge answers 2xx once JetStream has acknowledged a write; these
// tests check that every NATS node of every example syncs a write to disk
// before acknowledging it (sync_interval: always), and that each bridge is
// given a monitoring URL to check it with.

// TestClusterSyncAlways parses the three node configs of `make cluster`
// with nats-server's own parser, and checks run.sh points each bridge at a
// node's monitoring port.
func TestClusterSyncAlways(t *testing.T) {
	httpPorts := map[int]bool{}
	for _, n := range []string{"n1", "n2", "n3"} {
		opts, err := server.ProcessConfigFile(filepath.Join("cluster", n+".conf"))
		if err != nil {
			t.Fatalf("%s.conf: %v", n, err)
		}
		if !opts.JetStream || !opts.SyncAlways {
			t.Errorf("%s.conf: JetStream %v, sync always %v: want sync_interval: always in its jetstream block", n, opts.JetStream, opts.SyncAlways)
		}
		httpPorts[opts.HTTPPort] = true
	}
	run, err := os.ReadFile(filepath.Join("cluster", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`--nats-monitor-url "http://127\.0\.0\.1:\$\(\((\d+) \+ i\)\)"`).FindSubmatch(run)
	if m == nil {
		t.Fatal("run.sh: the bridges get no --nats-monitor-url")
	}
	base, _ := strconv.Atoi(string(m[1]))
	for i := 1; i <= 2; i++ { // bridges b1, b2
		if !httpPorts[base+i] {
			t.Errorf("run.sh: bridge b%d's --nats-monitor-url port %d is no node's monitoring port %v", i, base+i, httpPorts)
		}
	}
}

// TestComposeSyncAlways checks every NATS service of compose.yaml syncs
// always and the bridge reads one node's monitoring port.
func TestComposeSyncAlways(t *testing.T) {
	c := loadCompose(t)
	monitors := map[string]bool{}
	for _, n := range natsNodes(t, c) {
		if !n.opts.SyncAlways {
			t.Errorf("%s: does not sync always: want sync_interval: always in its jetstream block", n.service)
		}
		monitors[fmt.Sprintf("%s:%d", n.service, n.opts.HTTPPort)] = true
	}
	u, err := url.Parse(c.Services["bridge"].Environment["BRIDGE_NATS_MONITOR_URL"])
	if err != nil || u.Scheme != "http" || !monitors[u.Host] {
		t.Errorf("bridge: BRIDGE_NATS_MONITOR_URL %v is not the monitoring port of a NATS service %v", u, monitors)
	}
}

// TestKubernetesSyncAlways reads the Helm values the README gives for the
// NATS cluster and the bridge's environment.
func TestKubernetesSyncAlways(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("kubernetes", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# nats-values.yaml\n.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md: no ```yaml block starting with # nats-values.yaml")
	}
	var values struct {
		Config struct {
			JetStream struct {
				Enabled bool           `yaml:"enabled"`
				Merge   map[string]any `yaml:"merge"`
			} `yaml:"jetstream"`
		} `yaml:"config"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(m[1])).Decode(&values); err != nil {
		t.Fatalf("README.md nats-values.yaml: %v", err)
	}
	js := values.Config.JetStream
	if !js.Enabled || js.Merge["sync_interval"] != "always" {
		t.Errorf("nats-values.yaml: jetstream enabled %v, merge %v: want merge: {sync_interval: always}", js.Enabled, js.Merge)
	}
	_, bridge := bridgeContainer(t, kubeObjects(t))
	u, err := url.Parse(bridge.env()["BRIDGE_NATS_MONITOR_URL"])
	if err != nil || u.Scheme != "http" || u.Port() != "8222" {
		t.Errorf("bridge: BRIDGE_NATS_MONITOR_URL %v: want the http URL of a NATS node's monitoring port 8222", u)
	}
}
