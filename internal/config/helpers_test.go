package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// load runs Load with a fresh flag set, the given environment and no
// other, and returns the flag set's output beside the result.
func load(t *testing.T, args []string, env map[string]string) (Config, string, error) {
	t.Helper()
	fs := flag.NewFlagSet("bridge run", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	cfg, err := Load(fs, args, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	return cfg, out.String(), err
}

// writeConfig writes a config file in a temporary directory and returns
// its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bridge.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// errText is err's message, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
