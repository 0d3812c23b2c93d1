package transform

import (
	"os"
	"path/filepath"
	"testing"
)

// Load reads a file's secrets through Options.LookupEnv, and through the
// process environment when it is nil.
func TestLoadLooksSecretsUp(t *testing.T) {
	dir := t.TempDir()
	body := "provider: shop\nmodule: m\nwebhook:\n  signature: {scheme: hmac, secret: '${BRIDGE_TEST_LOAD_SECRET}', header: X-Sig}\nrules:\n  - when: true" + validRule + "\n"
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) {
		return "a-secret-long-enough-for-hmac-1234", k == "BRIDGE_TEST_LOAD_SECRET"
	}
	if _, err := Load(dir, Options{LookupEnv: lookup}); err != nil {
		t.Fatalf("with LookupEnv: %v", err)
	}
	if _, err := Load(dir, Options{}); err == nil {
		t.Fatal("without the variable in the environment: loaded")
	}
	t.Setenv("BRIDGE_TEST_LOAD_SECRET", "a-secret-long-enough-for-hmac-1234")
	if _, err := Load(dir, Options{}); err != nil {
		t.Fatalf("from the environment: %v", err)
	}
}
