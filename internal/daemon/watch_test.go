package daemon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestKubernetesVolumeUpdateReloads lays the mappings out as a Kubernetes
// ConfigMap volume does (each file a symlink through ..data to a hidden
// versioned directory) and updates them as the kubelet does: a new version
// directory, then ..data swapped to it by a rename. No *.yaml name sees an
// event of its own; the swap alone must reload.
func TestKubernetesVolumeUpdateReloads(t *testing.T) {
	src := copyMappings(t)
	dir := t.TempDir()
	version := func(name, pix string) {
		t.Helper()
		vdir := filepath.Join(dir, name)
		if err := os.Mkdir(vdir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"github.yaml", "stripe.yaml"} {
			if err := os.WriteFile(filepath.Join(vdir, f), []byte(readText(t, filepath.Join(src, f))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(vdir, "pix.yaml"), []byte(pix), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, link); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(link, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	pix := readText(t, filepath.Join(src, "pix.yaml"))
	version("..2026_01_01_00_00_00.1", pix)
	for _, f := range []string{"github.yaml", "pix.yaml", "stripe.yaml"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	b := launchBridge(t, setup{srv: natstest.Start(t), logs: &logBuffer{}, edit: func(c *config.Config) { c.Mappings = dir }})
	if r, typ := postPix(t, b, "E000000000000000000000000K8S0001"); typ != pixReceived {
		t.Fatalf("before the update: %d %s", r.status, r.raw)
	}

	version("..2026_01_01_00_00_00.2", withEventName(t, pix, "credited"))
	awaitReload(t, b, 0, 0)
	if ok, failed := reloads(t, b); ok != 1 || failed != 0 {
		t.Fatalf("%d reloads done and %d failed, want 1 and 0", ok, failed)
	}
	if r, typ := postPix(t, b, "E000000000000000000000000K8S0002"); typ != pixCredited {
		t.Errorf("after the update: %d %s", r.status, r.raw)
	}
}
