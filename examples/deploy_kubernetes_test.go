package examples

import (
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/transform"
)

const kubeDir = "kubernetes"

var update = flag.Bool("update", false, "rewrite kubernetes/configmap-*.yaml from the repository's mappings/ and schemas/")

// What the tests read of the Kubernetes objects.
type (
	kubeObject struct {
		APIVersion string   `yaml:"apiVersion"`
		Kind       string   `yaml:"kind"`
		Metadata   kubeMeta `yaml:"metadata"`
		node       *yaml.Node
		file       string
	}
	kubeMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	kubeSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	deployment struct {
		Spec struct {
			Replicas int          `yaml:"replicas"`
			Selector kubeSelector `yaml:"selector"`
			Template struct {
				Metadata kubeMeta `yaml:"metadata"`
				Spec     podSpec  `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int                `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               kubeSecurityContext `yaml:"securityContext"`
		Containers                    []container         `yaml:"containers"`
		Volumes                       []kubeVolume        `yaml:"volumes"`
	}
	kubeSecurityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		RunAsUser                *int  `yaml:"runAsUser"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	}
	container struct {
		Name  string `yaml:"name"`
		Image string `yaml:"image"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom any    `yaml:"valueFrom"`
		} `yaml:"env"`
		EnvFrom []struct {
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
		StartupProbe   *probe `yaml:"startupProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Lifecycle      struct {
			PreStop struct {
				Sleep *struct {
					Seconds int `yaml:"seconds"`
				} `yaml:"sleep"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext kubeSecurityContext `yaml:"securityContext"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"` // a number or a port name
		} `yaml:"httpGet"`
	}
	kubeVolume struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name  string      `yaml:"name"`
			Items []keyToPath `yaml:"items"`
		} `yaml:"configMap"`
	}
	keyToPath struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	}
	kubeService struct {
		Spec struct {
			Type     string            `yaml:"type"`
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	configMap struct {
		Data map[string]string `yaml:"data"`
	}
	kubeSecret struct {
		StringData map[string]string `yaml:"stringData"`
		Data       map[string]string `yaml:"data"`
	}
	pdb struct {
		Spec struct {
			MinAvailable *int         `yaml:"minAvailable"`
			Selector     kubeSelector `yaml:"selector"`
		} `yaml:"spec"`
	}
)

// kubeObjects loads every document of every file kustomization.yaml lists,
// and checks that it lists every manifest of the directory.
func kubeObjects(t *testing.T) []kubeObject {
	t.Helper()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	decodeYAML(t, filepath.Join(kubeDir, "kustomization.yaml"), &k)
	files, err := filepath.Glob(filepath.Join(kubeDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
	var out []kubeObject
	for _, r := range k.Resources {
		path := filepath.Join(kubeDir, r)
		for _, doc := range yamlDocs(t, path) {
			o := kubeObject{node: doc, file: r}
			if err := doc.Decode(&o); err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s:%d: an object without apiVersion, kind or metadata.name", r, doc.Line)
			}
			out = append(out, o)
		}
	}
	return out
}

// find decodes the one object of kind named name (any name if empty).
func find(t *testing.T, objs []kubeObject, kind, name string, v any) kubeObject {
	t.Helper()
	var found []kubeObject
	for _, o := range objs {
		if o.Kind == kind && (name == "" || o.Metadata.Name == name) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s named %q, want 1", len(found), kind, name)
	}
	if err := found[0].node.Decode(v); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
	return found[0]
}

func all[T any](t *testing.T, objs []kubeObject, kind string) map[string]T {
	t.Helper()
	out := map[string]T{}
	for _, o := range objs {
		if o.Kind == kind {
			var v T
			if err := o.node.Decode(&v); err != nil {
				t.Fatalf("%s %s: %v", kind, o.Metadata.Name, err)
			}
			out[o.Metadata.Name] = v
		}
	}
	return out
}

// selects reports whether selector picks a pod with labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// bridgeContainer returns the Deployment and its bridge container.
func bridgeContainer(t *testing.T, objs []kubeObject) (deployment, container) {
	t.Helper()
	var d deployment
	find(t, objs, "Deployment", "", &d)
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "bridge" {
			return d, c
		}
	}
	t.Fatal("the Deployment has no container named bridge")
	return d, container{}
}

func (c container) env() map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

// port resolves a probe's or Service's port (a number or a name) to the
// container's port number.
func (c container) port(t *testing.T, p string) int {
	t.Helper()
	if n, err := strconv.Atoi(p); err == nil {
		return n
	}
	for _, cp := range c.Ports {
		if cp.Name == p {
			return cp.ContainerPort
		}
	}
	t.Errorf("container %s has no port named %q", c.Name, p)
	return -1
}

// TestKubernetesDeployment: the bridge's Deployment runs real settings,
// probes the admin listener, runs as non-root on a read-only root, and
// drains within its termination grace period.
func TestKubernetesDeployment(t *testing.T) {
	objs := kubeObjects(t)
	d, c := bridgeContainer(t, objs)
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", d.Spec.Replicas)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}

	env := c.env()
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	checkBridgeEnvNames(t, "deployment.yaml env", names)
	if env["BRIDGE_REPLICAS"] != "3" {
		t.Errorf("BRIDGE_REPLICAS = %q, want 3", env["BRIDGE_REPLICAS"])
	}
	urls := strings.Split(env["BRIDGE_NATS_URL"], ",")
	for _, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Hostname() == "" {
			t.Errorf("BRIDGE_NATS_URL: %q is not a nats:// or tls:// URL", raw)
		}
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
		required   bool
	}{
		{"livenessProbe", "/healthz", c.LivenessProbe, true},
		{"readinessProbe", "/readyz", c.ReadinessProbe, true},
		{"startupProbe", "/healthz", c.StartupProbe, false},
	} {
		switch {
		case p.probe == nil && p.required:
			t.Errorf("no %s", p.name)
		case p.probe == nil:
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

	nonRoot := pod.SecurityContext.RunAsNonRoot
	if c.SecurityContext.RunAsNonRoot != nil {
		nonRoot = c.SecurityContext.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		t.Error("runAsNonRoot is not true")
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
		t.Fatal(err)
	}
	need := grace
	if s := c.Lifecycle.PreStop.Sleep; s != nil {
		need += time.Duration(s.Seconds) * time.Second
	}
	if tg := pod.TerminationGracePeriodSeconds; tg == nil || time.Duration(*tg)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds must be longer than BRIDGE_GRACE plus the preStop sleep (%s)", need)
	}

	secrets := all[kubeSecret](t, objs, "Secret")
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			if _, ok := secrets[ef.SecretRef.Name]; !ok {
				t.Errorf("envFrom names the Secret %s, which is not among the manifests", ef.SecretRef.Name)
			}
		}
	}
}

// TestKubernetesServicesAndPDB: the public Service maps 80 to the webhook
// port, the admin Service stays inside the cluster, and the PDB keeps a
// bridge running.
func TestKubernetesServicesAndPDB(t *testing.T) {
	objs := kubeObjects(t)
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
			target := c.port(t, cmpOr(p.TargetPort, strconv.Itoa(p.Port)))
			switch {
			case p.Port == 80 && target == httpPort:
				public = true
			case target == adminPort:
				admin = true
				if s.Spec.Type != "" && s.Spec.Type != "ClusterIP" {
					t.Errorf("Service %s exposes the admin port as %s; keep it ClusterIP", name, s.Spec.Type)
				}
				if p.Port != adminPort {
					t.Errorf("Service %s: admin port %d, want %d", name, p.Port, adminPort)
				}
			}
		}
	}
	if !public {
		t.Errorf("no Service maps port 80 to the webhook port %d", httpPort)
	}
	if !admin {
		t.Errorf("no Service reaches the admin port %d", adminPort)
	}

	var p pdb
	find(t, objs, "PodDisruptionBudget", "", &p)
	if !selects(p.Spec.Selector.MatchLabels, labels) {
		t.Error("the PodDisruptionBudget does not select the bridge's pods")
	}
	if m := p.Spec.MinAvailable; m == nil || *m < 1 || *m >= d.Spec.Replicas {
		t.Errorf("PodDisruptionBudget: want a minAvailable of at least 1 and fewer than the %d replicas", d.Spec.Replicas)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestKubernetesMappingsAndSchemas: the mappings ConfigMap is mounted at
// BRIDGE_MAPPINGS without subPath (so an update reaches the running bridge),
// the schemas ConfigMap is laid out at BRIDGE_SCHEMAS as dataschema URIs
// say, the Secret sets every ${VAR} the mappings name, and the whole set
// loads as the bridge would load it.
func TestKubernetesMappingsAndSchemas(t *testing.T) {
	if *update {
		writeConfigMaps(t)
	}
	objs := kubeObjects(t)
	d, c := bridgeContainer(t, objs)
	env := c.env()
	pod := d.Spec.Template.Spec
	configMaps := all[configMap](t, objs, "ConfigMap")

	mounted := map[string]kubeVolume{} // by mount path
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == vm.Name {
				if vm.SubPath != "" {
					t.Errorf("volume %s is mounted with subPath: a ConfigMap update would never reach the bridge", vm.Name)
				}
				if !vm.ReadOnly {
					t.Errorf("volume %s is not mounted readOnly", vm.Name)
				}
				mounted[vm.MountPath] = v
			}
		}
	}
	volumeData := func(setting string) (kubeVolume, map[string]string) {
		dir := env[setting]
		v, ok := mounted[dir]
		if !ok || v.ConfigMap == nil {
			t.Fatalf("%s=%q: no ConfigMap is mounted there", setting, dir)
		}
		data, ok := configMaps[v.ConfigMap.Name]
		if !ok {
			t.Fatalf("%s: the ConfigMap %s is not among the manifests", setting, v.ConfigMap.Name)
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
		if it.Key != schemaKey(it.Path) {
			t.Errorf("schemas volume: item %s is put at %s; want the key %s for that path", it.Key, it.Path, schemaKey(it.Path))
		}
		laidOut[it.Path] = data
	}
	var missing []string
	for _, key := range sortedKeys(schemas) {
		if !slices.ContainsFunc(sv.ConfigMap.Items, func(it keyToPath) bool { return it.Key == key }) {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		var b strings.Builder
		for _, k := range missing {
			fmt.Fprintf(&b, "              - key: %s\n                path: %s\n", k, schemaPathOf(k, schemas[k]))
		}
		t.Errorf("deployment.yaml: the schemas volume does not lay out these keys of the ConfigMap; add to its items:\n%s", b.String())
	}
	writeTree(t, schemasDir, laidOut)

	secrets := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		s := all[kubeSecret](t, objs, "Secret")[ef.SecretRef.Name]
		for k, v := range s.StringData {
			secrets[k] = v
			if !placeholder(v) {
				t.Errorf("Secret %s: %s does not look like a placeholder (want REPLACE_ME in it)", ef.SecretRef.Name, k)
			}
		}
		for k := range s.Data {
			t.Errorf("Secret %s: %s is in data; keep placeholders readable in stringData", ef.SecretRef.Name, k)
		}
	}
	texts := make([]string, 0, len(mappings))
	for _, text := range mappings {
		texts = append(texts, text)
	}
	for _, name := range secretRefs(texts...) {
		if _, ok := secrets[name]; !ok {
			t.Errorf("no Secret passed to the bridge sets %s, which a mapping names", name)
		}
	}
	provided := map[string]bool{}
	for k := range secrets {
		provided[k] = true
	}
	for k := range env {
		provided[k] = true
	}
	checkEventsSecret(t, "deployment.yaml", env, provided)
	var secretEnv []string
	for k := range secrets {
		secretEnv = append(secretEnv, k)
	}
	checkBridgeEnvNames(t, "secret.yaml", secretEnv)
	lookup := func(name string) (string, bool) { v, ok := secrets[name]; return v, ok }
	set, err := transform.Load(mappingsDir, transform.Options{SchemasDir: schemasDir, LookupEnv: lookup})
	if err != nil {
		t.Fatalf("the ConfigMaps do not load as a mapping set (go test ./examples -run TestKubernetesMappingsAndSchemas -update rewrites them from the repository):\n%v", err)
	}
	t.Logf("the ConfigMaps load: providers %v", set.Providers())

	// The ConfigMaps are a copy of the repository's files: a drift fails,
	// with the command that rewrites them.
	if drift := configMapDrift(t, mappings, schemas); drift != "" {
		t.Errorf("the ConfigMaps differ from the repository (%s); go test ./examples -run TestKubernetesMappingsAndSchemas -update rewrites them", drift)
	}
}

// schemaKey is the ConfigMap key of the schema at path (relative to the
// schemas directory): a key cannot hold "/".
func schemaKey(path string) string {
	return strings.ReplaceAll(filepath.ToSlash(path), "/", "_")
}

// schemaPathOf finds where the repository keeps the schema stored under
// key, for the message that tells how to lay it out.
func schemaPathOf(key, data string) string {
	for path, text := range repoSchemas(nil) {
		if schemaKey(path) == key || text == data {
			return path
		}
	}
	return "<host>/<path of its dataschema URI>"
}

// repoSchemas returns the repository's schemas by path relative to the
// schemas directory.
func repoSchemas(t *testing.T) map[string]string {
	out := map[string]string{}
	root := filepath.Join(repoRoot, "schemas")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil && t != nil {
		t.Fatal(err)
	}
	return out
}

func configMapDrift(t *testing.T, mappings, schemas map[string]string) string {
	var diffs []string
	for name, text := range mappingFiles(t, filepath.Join(repoRoot, "mappings")) {
		if mappings[name] != text {
			diffs = append(diffs, "mappings/"+name)
		}
	}
	for path, text := range repoSchemas(t) {
		if schemas[schemaKey(path)] != text {
			diffs = append(diffs, "schemas/"+path)
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, ", ")
}

// writeTree writes files (by slash-separated path) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for path, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// writeConfigMaps rewrites configmap-mappings.yaml and configmap-schemas.yaml
// from the repository's mappings/ and schemas/ (-update).
func writeConfigMaps(t *testing.T) {
	t.Helper()
	schemas := map[string]string{}
	for path, text := range repoSchemas(t) {
		schemas[schemaKey(path)] = text
	}
	for _, cm := range []struct {
		file, name, header string
		data               map[string]string
	}{
		{"configmap-mappings.yaml", "bridge-mappings",
			"# The mapping files, mounted at BRIDGE_MAPPINGS. Update the ConfigMap and the\n" +
				"# running bridges reload it (the kubelet swaps the volume's ..data link, the\n" +
				"# bridge sees that); a set with an error is refused and the old one stays.\n" +
				"#\n" +
				"# Written by `go test ./examples -run TestKubernetesMappingsAndSchemas -update`\n" +
				"# from the repository's mappings/. For your own mappings:\n" +
				"#   kubectl -n bridge create configmap bridge-mappings --from-file=mappings/ \\\n" +
				"#     --dry-run=client -o yaml | kubectl apply -f -\n",
			mappingFiles(t, filepath.Join(repoRoot, "mappings"))},
		{"configmap-schemas.yaml", "bridge-schemas",
			"# The JSON schemas of the events' data, mounted at BRIDGE_SCHEMAS. A key cannot\n" +
				"# hold \"/\": each schema is stored under its path with \"/\" as \"_\", and the\n" +
				"# Deployment's schemas volume lists where each key goes (items).\n" +
				"#\n" +
				"# Written by `go test ./examples -run TestKubernetesMappingsAndSchemas -update`\n" +
				"# from the repository's schemas/. A schema change takes effect at the next\n" +
				"# mapping reload or restart: kubectl -n bridge rollout restart deployment/bridge\n",
			schemas},
	} {
		doc := &yaml.Node{Kind: yaml.MappingNode}
		add := func(m *yaml.Node, k string, v *yaml.Node) {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
		str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
		meta := &yaml.Node{Kind: yaml.MappingNode}
		add(meta, "name", str(cm.name))
		labels := &yaml.Node{Kind: yaml.MappingNode}
		add(labels, "app.kubernetes.io/name", str("bridge"))
		add(meta, "labels", labels)
		data := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range sortedKeys(cm.data) {
			add(data, k, &yaml.Node{Kind: yaml.ScalarNode, Value: cm.data[k], Style: yaml.LiteralStyle})
		}
		add(doc, "apiVersion", str("v1"))
		add(doc, "kind", str("ConfigMap"))
		add(doc, "metadata", meta)
		add(doc, "data", data)
		var b strings.Builder
		b.WriteString(cm.header)
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(kubeDir, cm.file), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
