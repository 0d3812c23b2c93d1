package examples

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/transform"
)

// The chart, seen from this package's directory, and its CI values (every
// optional part on; the Helm convention for a chart's test values).
const (
	helmChart    = "../deploy/helm/bridge"
	helmCIValues = "../deploy/helm/bridge/ci/all-values.yaml"
)

// helmBin finds the helm CLI: ../bin/helm (make bin/helm) or on PATH. CI
// builds it; elsewhere a missing helm skips the chart's tests.
func helmBin(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs(filepath.Join(repoRoot, "bin", "helm")); err == nil {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no helm: neither ../bin/helm nor helm on PATH (make bin/helm builds it)")
	}
	t.Skip("no helm: neither ../bin/helm nor helm on PATH; make bin/helm builds it")
	return ""
}

// helm runs the helm CLI with its caches and configuration in a temporary
// directory, and returns its standard output and, on failure, an error
// holding its standard error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := helmBin(t)
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.New(strings.TrimSpace(stderr.String() + "\n" + stdout.String() + "\n" + err.Error()))
	}
	return stdout.String(), nil
}

// renderChart renders the chart with helm template (release "bridge" in
// namespace "bridge") and decodes every object.
func renderChart(t *testing.T, args ...string) []kubeObject {
	t.Helper()
	out, err := helm(t, append([]string{"template", "bridge", helmChart, "--namespace", "bridge"}, args...)...)
	if err != nil {
		t.Fatalf("helm template %s: %v", strings.Join(args, " "), err)
	}
	dec := yaml.NewDecoder(strings.NewReader(out))
	var objs []kubeObject
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template's output: %v", err)
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		o := kubeObject{node: &n, file: "helm template"}
		if err := n.Decode(&o); err != nil {
			t.Fatalf("helm template: line %d: %v", n.Line, err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Errorf("helm template: line %d: an object without apiVersion, kind or metadata.name", n.Line)
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		t.Fatal("helm template rendered nothing")
	}
	return objs
}

// chartValues is what the tests read of the chart's values.
type chartValues struct {
	ReplicaCount int `yaml:"replicaCount"`
	NATS         struct {
		URLs []string `yaml:"urls"`
	} `yaml:"nats"`
	StreamReplicas int `yaml:"streamReplicas"`
	Secrets        struct {
		ExistingSecret string `yaml:"existingSecret"`
		Create         bool   `yaml:"create"`
	} `yaml:"secrets"`
	ServiceMonitor struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"serviceMonitor"`
	NetworkPolicy struct {
		Enabled bool `yaml:"enabled"`
		Egress  struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"egress"`
	} `yaml:"networkPolicy"`
}

// loadChartValues decodes values.yaml, then each file over it, as helm
// merges them (for the fields above: a later file's field wins).
func loadChartValues(t *testing.T, files ...string) chartValues {
	t.Helper()
	var v chartValues
	for _, f := range append([]string{filepath.Join(helmChart, "values.yaml")}, files...) {
		decodeYAML(t, f, &v)
	}
	return v
}

// What the tests read of the ServiceMonitor and the NetworkPolicy.
type (
	serviceMonitor struct {
		Spec struct {
			Selector  kubeSelector `yaml:"selector"`
			Endpoints []struct {
				Port       string `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
				Path       string `yaml:"path"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
	}
	networkPolicy struct {
		Spec struct {
			PodSelector kubeSelector `yaml:"podSelector"`
			PolicyTypes []string     `yaml:"policyTypes"`
			Ingress     []struct {
				From  []netPeer `yaml:"from"`
				Ports []netPort `yaml:"ports"`
			} `yaml:"ingress"`
			Egress []struct {
				To    []netPeer `yaml:"to"`
				Ports []netPort `yaml:"ports"`
			} `yaml:"egress"`
		} `yaml:"spec"`
	}
	netPeer struct {
		PodSelector       *kubeSelector `yaml:"podSelector"`
		NamespaceSelector *kubeSelector `yaml:"namespaceSelector"`
		IPBlock           *struct {
			CIDR string `yaml:"cidr"`
		} `yaml:"ipBlock"`
	}
	netPort struct {
		Port    string `yaml:"port"` // a number or a port name
		EndPort int    `yaml:"endPort"`
	}
)

// covers reports whether a rule's ports let port (or the named port) in:
// no ports means every port.
func covers(ports []netPort, port int, name string) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Port == "" || p.Port == name {
			return true
		}
		if n, err := strconv.Atoi(p.Port); err == nil && (n == port || (p.EndPort >= port && n <= port)) {
			return true
		}
	}
	return false
}

// everyone reports whether a peer admits any source: an empty selector
// (every pod, or every namespace's pods) or an ipBlock of a whole address space.
func (p netPeer) everyone() bool {
	empty := func(s *kubeSelector) bool { return s != nil && len(s.MatchLabels) == 0 }
	switch {
	case p.IPBlock != nil:
		return strings.HasSuffix(p.IPBlock.CIDR, "/0")
	case p.NamespaceSelector != nil && p.PodSelector != nil:
		return empty(p.NamespaceSelector) && empty(p.PodSelector)
	case p.NamespaceSelector != nil:
		return empty(p.NamespaceSelector)
	case p.PodSelector != nil:
		return false // pods of the policy's own namespace only
	}
	return true
}

// TestHelmLint: helm lint --strict passes with the chart's own values and
// with ci/all-values.yaml.
func TestHelmLint(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"values.yaml", nil},
		{"ci/all-values.yaml", []string{"-f", helmCIValues}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := helm(t, append([]string{"lint", "--strict", helmChart}, tc.args...)...)
			if err != nil {
				t.Fatalf("helm lint --strict: %v", err)
			}
			t.Log(out)
		})
	}
}

// TestHelmChart renders the chart with its own values, with
// ci/all-values.yaml, and with the repository's mappings and schemas given
// as the chart's README says (--set-file), and checks what it renders
// against the bridge: real settings, probes on the admin port, non-root on
// a read-only root, no secret inlined, the mappings ConfigMap mounted as a
// directory and loading as a mapping set, a termination grace period longer
// than the drain, the ServiceMonitor on /metrics of the admin port, and a
// NetworkPolicy that keeps the admin port from everyone.
func TestHelmChart(t *testing.T) {
	repoArgs, repoSecrets := repoSetFileArgs(t)
	for _, tc := range []struct {
		name       string
		files      []string // values files
		args       []string // more helm template arguments
		configMaps bool     // the chart makes the mappings and schemas ConfigMaps
	}{
		{name: "values.yaml"},
		{name: "ci/all-values.yaml", files: []string{helmCIValues}, configMaps: true},
		{name: "repository mappings", args: append(repoArgs, repoSecrets...), configMaps: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, f := range tc.files {
				args = append(args, "-f", f)
			}
			objs := renderChart(t, append(args, tc.args...)...)
			vals := loadChartValues(t, tc.files...)
			if len(tc.args) > 0 { // repoSecrets switch to a chart-made Secret
				vals.Secrets.ExistingSecret, vals.Secrets.Create = "", true
			}
			checkHelmDeployment(t, objs, vals)
			checkHelmServices(t, objs, vals)
			checkHelmSecrets(t, objs, vals)
			checkHelmMappings(t, objs, tc.configMaps)
			checkHelmServiceMonitor(t, objs, vals)
			checkHelmNetworkPolicy(t, objs, vals)
		})
	}
}

// repoSetFileArgs gives the repository's mappings and schemas to the chart
// with --set-file, as values.yaml tells, and a chart-made Secret with a
// placeholder for every ${VAR} they name.
func repoSetFileArgs(t *testing.T) (files, secrets []string) {
	t.Helper()
	escape := func(s string) string { return strings.ReplaceAll(s, ".", `\.`) }
	mappings := mappingFiles(t, filepath.Join(repoRoot, "mappings"))
	var texts []string
	for _, name := range sortedKeys(mappings) {
		files = append(files, "--set-file", "mappings.files."+escape(name)+"="+filepath.Join(repoRoot, "mappings", name))
		texts = append(texts, mappings[name])
	}
	for _, path := range sortedKeys(repoSchemas(t)) {
		files = append(files, "--set-file", "schemas.files."+escape(path)+"="+filepath.Join(repoRoot, "schemas", filepath.FromSlash(path)))
	}
	secrets = []string{"--set", "secrets.existingSecret=", "--set", "secrets.create=true",
		"--set", "secrets.values." + config.EnvEventsSecret + "=REPLACE_ME"}
	for _, name := range secretRefs(texts...) {
		secrets = append(secrets, "--set", "secrets.values."+name+"=REPLACE_ME_"+name)
	}
	return files, secrets
}

func checkHelmDeployment(t *testing.T, objs []kubeObject, vals chartValues) {
	t.Helper()
	d, c := bridgeContainer(t, objs)
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas != vals.ReplicaCount {
		t.Errorf("replicas %d, want replicaCount %d", d.Spec.Replicas, vals.ReplicaCount)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	if c.Image == "" || strings.HasSuffix(c.Image, ":") {
		t.Errorf("image %q names no tag or digest", c.Image)
	}

	env := c.env()
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	checkBridgeEnvNames(t, "the Deployment's env", names)
	if got, want := env["BRIDGE_NATS_URL"], strings.Join(vals.NATS.URLs, ","); got != want {
		t.Errorf("BRIDGE_NATS_URL = %q, want nats.urls joined: %q", got, want)
	}
	for _, raw := range strings.Split(env["BRIDGE_NATS_URL"], ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Hostname() == "" {
			t.Errorf("BRIDGE_NATS_URL: %q is not a nats:// or tls:// URL", raw)
		}
	}
	if got, want := env["BRIDGE_REPLICAS"], strconv.Itoa(vals.StreamReplicas); got != want {
		t.Errorf("BRIDGE_REPLICAS = %q, want streamReplicas %s", got, want)
	}

	httpPort, _ := listenPort(t, "BRIDGE_HTTP", setting(t, env, "BRIDGE_HTTP"))
	adminPort, reachable := listenPort(t, "BRIDGE_ADMIN", setting(t, env, "BRIDGE_ADMIN"))
	if !reachable {
		t.Errorf("BRIDGE_ADMIN %q is loopback: the kubelet's probes cannot reach it", env["BRIDGE_ADMIN"])
	}
	if c.port(t, "http") != httpPort {
		t.Errorf("containerPort http is %d, the bridge listens on %d (BRIDGE_HTTP)", c.port(t, "http"), httpPort)
	}
	if c.port(t, "admin") != adminPort {
		t.Errorf("containerPort admin is %d, the admin listener is on %d (BRIDGE_ADMIN)", c.port(t, "admin"), adminPort)
	}
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
		{"startupProbe", "/healthz", c.StartupProbe},
	} {
		switch {
		case p.probe == nil:
			t.Errorf("no %s", p.name)
		case p.probe.HTTPGet == nil:
			t.Errorf("%s is not an httpGet", p.name)
		default:
			if p.probe.HTTPGet.Path != p.path {
				t.Errorf("%s asks %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
			}
			if got := c.port(t, p.probe.HTTPGet.Port); got != adminPort {
				t.Errorf("%s asks port %d, the admin listener is on %d", p.name, got, adminPort)
			}
		}
	}

	nonRoot, user := pod.SecurityContext.RunAsNonRoot, pod.SecurityContext.RunAsUser
	if c.SecurityContext.RunAsNonRoot != nil {
		nonRoot = c.SecurityContext.RunAsNonRoot
	}
	if c.SecurityContext.RunAsUser != nil {
		user = c.SecurityContext.RunAsUser
	}
	if nonRoot == nil || !*nonRoot {
		t.Error("runAsNonRoot is not true")
	}
	if user == nil || *user == 0 {
		t.Error("runAsUser is not set to a non-root uid (the image's is 65532)")
	}
	if v := c.SecurityContext.ReadOnlyRootFilesystem; v == nil || !*v {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if v := c.SecurityContext.AllowPrivilegeEscalation; v == nil || *v {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources: want cpu and memory requests and a memory limit, got %+v", c.Resources)
	}

	grace, err := time.ParseDuration(setting(t, env, "BRIDGE_GRACE"))
	if err != nil {
		t.Fatalf("BRIDGE_GRACE: %v", err)
	}
	need := grace
	if s := c.Lifecycle.PreStop.Sleep; s != nil {
		need += time.Duration(s.Seconds) * time.Second
	}
	if tg := pod.TerminationGracePeriodSeconds; tg == nil || time.Duration(*tg)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds must be longer than BRIDGE_GRACE plus the preStop sleep (%s)", need)
	}
}

func checkHelmServices(t *testing.T, objs []kubeObject, vals chartValues) {
	t.Helper()
	d, c := bridgeContainer(t, objs)
	labels := d.Spec.Template.Metadata.Labels
	env := c.env()
	httpPort, _ := listenPort(t, "BRIDGE_HTTP", setting(t, env, "BRIDGE_HTTP"))
	adminPort, _ := listenPort(t, "BRIDGE_ADMIN", setting(t, env, "BRIDGE_ADMIN"))
	var public, admin bool
	for name, s := range all[kubeService](t, objs, "Service") {
		if !selects(s.Spec.Selector, labels) {
			t.Errorf("Service %s does not select the bridge's pods", name)
		}
		for _, p := range s.Spec.Ports {
			switch target := c.port(t, cmpOr(p.TargetPort, strconv.Itoa(p.Port))); target {
			case httpPort:
				public = true
			case adminPort:
				admin = true
				if s.Spec.Type != "" && s.Spec.Type != "ClusterIP" {
					t.Errorf("Service %s exposes the admin port as %s; keep it ClusterIP", name, s.Spec.Type)
				}
			default:
				t.Errorf("Service %s: port %d goes to %d, which the bridge does not listen on", name, p.Port, target)
			}
		}
	}
	if !public {
		t.Errorf("no Service reaches the webhook port %d", httpPort)
	}
	if !admin {
		t.Errorf("no Service reaches the admin port %d", adminPort)
	}
	pdbs := all[pdb](t, objs, "PodDisruptionBudget")
	if vals.ReplicaCount > 1 && len(pdbs) != 1 {
		t.Errorf("%d PodDisruptionBudgets for %d replicas, want 1", len(pdbs), vals.ReplicaCount)
	}
	for name, p := range pdbs {
		if !selects(p.Spec.Selector.MatchLabels, labels) {
			t.Errorf("PodDisruptionBudget %s does not select the bridge's pods", name)
		}
		if m := p.Spec.MinAvailable; m == nil || *m < 1 || *m >= d.Spec.Replicas {
			t.Errorf("PodDisruptionBudget %s: want a minAvailable of at least 1 and fewer than the %d replicas", name, d.Spec.Replicas)
		}
	}
}

// checkHelmSecrets: the Deployment takes the bridge's secrets from Secrets
// only (envFrom or secretKeyRef), never as a value, and no value of a
// rendered Secret appears anywhere in it.
func checkHelmSecrets(t *testing.T, objs []kubeObject, vals chartValues) {
	t.Helper()
	_, c := bridgeContainer(t, objs)
	secrets := all[kubeSecret](t, objs, "Secret")
	switch {
	case vals.Secrets.ExistingSecret != "":
		if len(secrets) != 0 {
			t.Errorf("secrets.existingSecret is set, yet the chart renders Secrets %v", sortedKeys(secrets))
		}
	case vals.Secrets.Create:
		if len(secrets) != 1 {
			t.Errorf("secrets.create: %d Secrets rendered, want 1", len(secrets))
		}
	}

	secretNames := map[string]bool{config.EnvEventsSecret: true, config.EnvNATSPassword: true,
		config.EnvNATSToken: true, config.EnvAdminToken: true}
	secretValues := map[string]string{} // "Secret/key": value
	for name, s := range secrets {
		for k, v := range s.StringData {
			secretNames[k] = true
			secretValues[name+"/"+k] = v
			if !placeholder(v) {
				t.Errorf("Secret %s: %s does not look like a placeholder (want REPLACE_ME in it)", name, k)
			}
		}
		for k := range s.Data {
			t.Errorf("Secret %s: %s is in data; the chart writes stringData", name, k)
		}
	}
	for _, cm := range all[configMap](t, objs, "ConfigMap") {
		for _, text := range cm.Data {
			for _, n := range secretRefs(text) {
				secretNames[n] = true
			}
		}
	}
	for _, e := range c.Env {
		if secretNames[e.Name] && e.ValueFrom == nil {
			t.Errorf("env %s is a secret given as a value; it must come from a Secret", e.Name)
		}
	}
	var pod bytes.Buffer
	enc := yaml.NewEncoder(&pod)
	for _, o := range objs {
		if o.Kind == "Deployment" {
			if err := enc.Encode(o.node); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, where := range sortedKeys(secretValues) {
		if v := secretValues[where]; len(v) >= 4 && strings.Contains(pod.String(), v) {
			t.Errorf("the Deployment holds the value of %s", where)
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		if _, ok := secrets[ef.SecretRef.Name]; !ok && ef.SecretRef.Name != vals.Secrets.ExistingSecret {
			t.Errorf("envFrom names the Secret %s, which is neither rendered nor secrets.existingSecret", ef.SecretRef.Name)
		}
	}
	if vals.Secrets.ExistingSecret == "" && !vals.Secrets.Create && len(c.EnvFrom) > 0 {
		t.Error("no Secret is configured, yet the Deployment has envFrom")
	}
}

// checkHelmMappings: every ConfigMap volume is mounted as a directory (no
// subPath) and read-only; with chart-made ConfigMaps, the mappings at
// BRIDGE_MAPPINGS (no items: a file added appears) and the schemas laid out
// at BRIDGE_SCHEMAS load as the bridge loads them, with the Secret's values.
func checkHelmMappings(t *testing.T, objs []kubeObject, configMaps bool) {
	t.Helper()
	d, c := bridgeContainer(t, objs)
	env := c.env()
	pod := d.Spec.Template.Spec
	mounted := map[string]kubeVolume{} // by mount path
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name != vm.Name {
				continue
			}
			if vm.SubPath != "" {
				t.Errorf("volume %s is mounted with subPath: a ConfigMap update would never reach the bridge", vm.Name)
			}
			if !vm.ReadOnly {
				t.Errorf("volume %s is not mounted readOnly", vm.Name)
			}
			mounted[vm.MountPath] = v
		}
	}
	if !configMaps {
		if len(mounted) != 0 {
			t.Errorf("volumes mounted with no mappings or schemas configured: %v", sortedKeys(mounted))
		}
		return
	}
	rendered := all[configMap](t, objs, "ConfigMap")
	volumeData := func(name string) (kubeVolume, map[string]string) {
		dir := env[name]
		v, ok := mounted[dir]
		if !ok || v.ConfigMap == nil {
			t.Fatalf("%s=%q: no ConfigMap is mounted there", name, dir)
		}
		data, ok := rendered[v.ConfigMap.Name]
		if !ok {
			t.Fatalf("%s: the ConfigMap %s is not rendered", name, v.ConfigMap.Name)
		}
		return v, data.Data
	}
	tmp := t.TempDir()
	mappingsDir, schemasDir := filepath.Join(tmp, "mappings"), filepath.Join(tmp, "schemas")
	mv, mappings := volumeData("BRIDGE_MAPPINGS")
	if len(mv.ConfigMap.Items) != 0 {
		t.Error("the mappings volume lists items: a mapping added to the ConfigMap would not appear")
	}
	writeTree(t, mappingsDir, mappings)
	sv, schemas := volumeData("BRIDGE_SCHEMAS")
	laidOut := map[string]string{}
	for _, it := range sv.ConfigMap.Items {
		data, ok := schemas[it.Key]
		if !ok {
			t.Errorf("schemas volume: item %s is not a key of the ConfigMap", it.Key)
			continue
		}
		laidOut[it.Path] = data
	}
	if len(laidOut) != len(schemas) {
		t.Errorf("the schemas volume lays out %d of the ConfigMap's %d keys", len(laidOut), len(schemas))
	}
	writeTree(t, schemasDir, laidOut)

	secrets := map[string]string{}
	for _, s := range all[kubeSecret](t, objs, "Secret") {
		for k, v := range s.StringData {
			secrets[k] = v
		}
	}
	texts := slices.Collect(func(yield func(string) bool) {
		for _, text := range mappings {
			if !yield(text) {
				return
			}
		}
	})
	for _, name := range secretRefs(texts...) {
		if _, ok := secrets[name]; !ok {
			t.Errorf("no rendered Secret sets %s, which a mapping names", name)
		}
	}
	provided := map[string]bool{}
	for k := range secrets {
		provided[k] = true
	}
	for k := range env {
		provided[k] = true
	}
	checkEventsSecret(t, "the Deployment", env, provided)
	lookup := func(name string) (string, bool) { v, ok := secrets[name]; return v, ok }
	set, err := transform.Load(mappingsDir, transform.Options{SchemasDir: schemasDir, LookupEnv: lookup})
	if err != nil {
		t.Fatalf("the chart's ConfigMaps do not load as a mapping set:\n%v", err)
	}
	t.Logf("the ConfigMaps load: providers %v", set.Providers())
}

// checkHelmServiceMonitor: when enabled, the ServiceMonitor selects the
// admin Service and scrapes /metrics on its admin port.
func checkHelmServiceMonitor(t *testing.T, objs []kubeObject, vals chartValues) {
	t.Helper()
	monitors := all[serviceMonitor](t, objs, "ServiceMonitor")
	if !vals.ServiceMonitor.Enabled {
		if len(monitors) != 0 {
			t.Errorf("serviceMonitor.enabled is false, yet ServiceMonitors %v are rendered", sortedKeys(monitors))
		}
		return
	}
	if len(monitors) != 1 {
		t.Fatalf("%d ServiceMonitors rendered, want 1", len(monitors))
	}
	_, c := bridgeContainer(t, objs)
	adminPort, _ := listenPort(t, "BRIDGE_ADMIN", setting(t, c.env(), "BRIDGE_ADMIN"))
	for _, o := range objs {
		if o.Kind == "ServiceMonitor" && o.APIVersion != "monitoring.coreos.com/v1" {
			t.Errorf("ServiceMonitor %s: apiVersion %s, want monitoring.coreos.com/v1", o.Metadata.Name, o.APIVersion)
		}
	}
	services := map[string]kubeMeta{}
	for _, o := range objs {
		if o.Kind == "Service" {
			services[o.Metadata.Name] = o.Metadata
		}
	}
	specs := all[kubeService](t, objs, "Service")
	for name, m := range monitors {
		if len(m.Spec.Endpoints) == 0 {
			t.Errorf("ServiceMonitor %s has no endpoints", name)
		}
		var selected []string
		for svc, meta := range services {
			if selects(m.Spec.Selector.MatchLabels, meta.Labels) {
				selected = append(selected, svc)
			}
		}
		if len(selected) != 1 {
			t.Fatalf("ServiceMonitor %s selects Services %v, want the admin Service alone", name, selected)
		}
		svc := specs[selected[0]]
		for _, e := range m.Spec.Endpoints {
			if e.Path != "/metrics" {
				t.Errorf("ServiceMonitor %s scrapes %q, want /metrics", name, e.Path)
			}
			target := -1
			for _, p := range svc.Spec.Ports {
				if p.Name == e.Port && e.Port != "" {
					target = c.port(t, cmpOr(p.TargetPort, strconv.Itoa(p.Port)))
				}
			}
			if target != adminPort {
				t.Errorf("ServiceMonitor %s scrapes port %q of Service %s, which is not the admin port %d", name, e.Port, selected[0], adminPort)
			}
		}
	}
}

// checkHelmNetworkPolicy: when enabled, the policy selects the bridge's
// pods, lets the webhook port in, never lets everyone reach the admin port,
// and with egress lets the bridge reach DNS and the NATS port.
func checkHelmNetworkPolicy(t *testing.T, objs []kubeObject, vals chartValues) {
	t.Helper()
	policies := all[networkPolicy](t, objs, "NetworkPolicy")
	if !vals.NetworkPolicy.Enabled {
		if len(policies) != 0 {
			t.Errorf("networkPolicy.enabled is false, yet NetworkPolicies %v are rendered", sortedKeys(policies))
		}
		return
	}
	if len(policies) != 1 {
		t.Fatalf("%d NetworkPolicies rendered, want 1", len(policies))
	}
	d, c := bridgeContainer(t, objs)
	env := c.env()
	httpPort, _ := listenPort(t, "BRIDGE_HTTP", setting(t, env, "BRIDGE_HTTP"))
	adminPort, _ := listenPort(t, "BRIDGE_ADMIN", setting(t, env, "BRIDGE_ADMIN"))
	for name, p := range policies {
		if !selects(p.Spec.PodSelector.MatchLabels, d.Spec.Template.Metadata.Labels) {
			t.Errorf("NetworkPolicy %s does not select the bridge's pods", name)
		}
		if !slices.Contains(p.Spec.PolicyTypes, "Ingress") {
			t.Errorf("NetworkPolicy %s: policyTypes %v lack Ingress", name, p.Spec.PolicyTypes)
		}
		webhooks := false
		for i, r := range p.Spec.Ingress {
			if covers(r.Ports, httpPort, "http") {
				webhooks = true
			}
			if !covers(r.Ports, adminPort, "admin") {
				continue
			}
			if len(r.From) == 0 {
				t.Errorf("NetworkPolicy %s: ingress rule %d opens the admin port %d to everyone (no from)", name, i, adminPort)
			}
			for j, peer := range r.From {
				if peer.everyone() {
					t.Errorf("NetworkPolicy %s: ingress rule %d, peer %d opens the admin port %d to everyone", name, i, j, adminPort)
				}
			}
		}
		if !webhooks {
			t.Errorf("NetworkPolicy %s lets nothing reach the webhook port %d", name, httpPort)
		}
		if !vals.NetworkPolicy.Egress.Enabled {
			if slices.Contains(p.Spec.PolicyTypes, "Egress") {
				t.Errorf("NetworkPolicy %s restricts egress with networkPolicy.egress.enabled false", name)
			}
			continue
		}
		if !slices.Contains(p.Spec.PolicyTypes, "Egress") {
			t.Errorf("NetworkPolicy %s: networkPolicy.egress.enabled, but policyTypes %v lack Egress", name, p.Spec.PolicyTypes)
		}
		reaches := func(port int) bool {
			for _, r := range p.Spec.Egress {
				if covers(r.Ports, port, "") {
					return true
				}
			}
			return false
		}
		if !reaches(53) {
			t.Errorf("NetworkPolicy %s: no egress to DNS (53)", name)
		}
		for _, raw := range strings.Split(env["BRIDGE_NATS_URL"], ",") {
			u, err := url.Parse(strings.TrimSpace(raw))
			if err != nil {
				continue
			}
			port, _ := strconv.Atoi(cmpOr(u.Port(), "4222"))
			if !reaches(port) {
				t.Errorf("NetworkPolicy %s: no egress to the NATS port %d (%s)", name, port, raw)
			}
		}
	}
}

// TestHelmChartRefuses: values the bridge would misread or that would leak
// a secret fail at helm template, with a message that names the value.
func TestHelmChartRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"secret in config", []string{"--set", "config.BRIDGE_EVENTS_SECRET=s3cret"}, "BRIDGE_EVENTS_SECRET is a secret"},
		{"admin token in config", []string{"--set", "config.BRIDGE_ADMIN_TOKEN=s3cret"}, "BRIDGE_ADMIN_TOKEN is a secret"},
		{"chart's own setting in config", []string{"--set", "config.BRIDGE_NATS_URL=nats://x:4222"}, "BRIDGE_NATS_URL is set by the chart"},
		{"not a BRIDGE_ variable", []string{"--set", "config.LOG_FORMAT=json"}, `"LOG_FORMAT" is not a BRIDGE_*`},
		{"no NATS", []string{"--set", "nats.urls=null"}, "nats.urls"},
		{"mappings twice", []string{"--set", "mappings.existingConfigMap=m", "--set", "mappings.files.a\\.yaml=x"}, "mappings: set existingConfigMap or files, not both"},
		{"bad mapping file name", []string{"--set", "mappings.files.a/b=x"}, "is not a mapping file name"},
		{"empty chart-made Secret", []string{"--set", "secrets.existingSecret=", "--set", "secrets.create=true"}, "secrets.values is empty"},
		{"bad secret name", []string{"--set", "secrets.existingSecret=", "--set", "secrets.create=true", "--set", "secrets.values.A-B=x"}, `"A-B" is not an environment variable name`},
		{"preStop sleep before Kubernetes 1.30", []string{"--kube-version", "1.29.4"}, "the preStop sleep needs Kubernetes 1.30"},
		{"admin token without a Secret", []string{"--set", "secrets.existingSecret=", "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.adminToken=true"}, "serviceMonitor.adminToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := helm(t, append([]string{"template", "bridge", helmChart}, tc.args...)...)
			if err == nil {
				t.Fatalf("helm template %v succeeded, want an error with %q; rendered:\n%s", tc.args, tc.want, out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template %v: %v\nwant an error with %q", tc.args, err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error repeats the secret's value: %v", err)
			}
		})
	}
}

// TestHelmChartNamesRealSettings: every BRIDGE_* variable the chart's files
// name (templates, values, README, NOTES) is a setting of bridge run.
func TestHelmChartNamesRealSettings(t *testing.T) {
	n := 0
	err := filepath.WalkDir(helmChart, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		names := bridgeEnvRef.FindAllString(string(data), -1)
		n += len(names)
		checkBridgeEnvNames(t, path, names)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s names no BRIDGE_* variable", helmChart)
	}
}

// TestHelmChartExistingConfigMaps: with existing ConfigMaps the chart
// renders none, mounts the mappings' whole (no items) and lays the schemas
// out as schemas.items says.
func TestHelmChartExistingConfigMaps(t *testing.T) {
	objs := renderChart(t, "--set", "mappings.existingConfigMap=my-mappings", "--set", "schemas.existingConfigMap=my-schemas",
		"--set", "schemas.items[0].key=a_b.json", "--set", "schemas.items[0].path=a/b.json")
	if cms := all[configMap](t, objs, "ConfigMap"); len(cms) != 0 {
		t.Errorf("the chart renders ConfigMaps %v with existing ones named", sortedKeys(cms))
	}
	d, c := bridgeContainer(t, objs)
	env := c.env()
	volumes := map[string]kubeVolume{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, vm := range c.VolumeMounts {
		v := volumes[vm.Name]
		if vm.SubPath != "" {
			t.Errorf("volume %s is mounted with subPath", vm.Name)
		}
		switch vm.MountPath {
		case env["BRIDGE_MAPPINGS"]:
			if v.ConfigMap == nil || v.ConfigMap.Name != "my-mappings" || len(v.ConfigMap.Items) != 0 {
				t.Errorf("BRIDGE_MAPPINGS: volume %+v, want the whole ConfigMap my-mappings", v)
			}
		case env["BRIDGE_SCHEMAS"]:
			if v.ConfigMap == nil || v.ConfigMap.Name != "my-schemas" ||
				!slices.Equal(v.ConfigMap.Items, []keyToPath{{Key: "a_b.json", Path: "a/b.json"}}) {
				t.Errorf("BRIDGE_SCHEMAS: volume %+v, want my-schemas with the item a_b.json at a/b.json", v)
			}
		default:
			t.Errorf("volume %s is mounted at %s, neither BRIDGE_MAPPINGS nor BRIDGE_SCHEMAS", vm.Name, vm.MountPath)
		}
	}
	if len(c.VolumeMounts) != 2 {
		t.Errorf("%d volume mounts, want the mappings and the schemas", len(c.VolumeMounts))
	}
}
