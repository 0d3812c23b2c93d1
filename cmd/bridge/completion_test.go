package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"completion", shell}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("bridge completion %s: exit %d: %s", shell, code, errb.String())
	}
	path := filepath.Join(t.TempDir(), "bridge."+shell)
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// shell returns the path of a shell the test needs; .ci/run installs them.
func shell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// TestCompletionBash sources the bash script in a real bash and asks it to
// complete command lines, as the shell does on TAB.
func TestCompletionBash(t *testing.T) {
	bash := shell(t, "bash")
	script := completionScript(t, "bash")
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"bridge", "he"}, "health help"},
		{[]string{"bridge", "dlq", "re"}, "replay"},
		{[]string{"bridge", "dlq", "replay", "--dr"}, "--dry-run"},
		{[]string{"bridge", "dlq", "list", "--dr"}, ""},
		{[]string{"bridge", "run", "--nats-u"}, "--nats-url --nats-user"},
		{[]string{"bridge", "run", "--mappings", "./m", "--idem"}, "--idempotency-horizon --idempotency-cache-keys"},
		{[]string{"bridge", "health", "--l"}, "--live"},
		{[]string{"bridge", "completion", "z"}, "zsh"},
		{[]string{"bridge", "help", "ca"}, "catalog"},
	} {
		words := make([]string, len(tc.words))
		for i, w := range tc.words {
			words[i] = "'" + w + "'"
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(tc.words)-1) + `; _bridge; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.words, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%v: completions %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestCompletionZshAndFish loads the zsh and fish scripts in the real
// shells: they must load without an error, and fish must complete.
func TestCompletionZshAndFish(t *testing.T) {
	zsh := shell(t, "zsh")
	script := completionScript(t, "zsh")
	prog := "autoload -U compinit && compinit -u && source " + script + " && whence -w _bridge"
	if out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput(); err != nil || !strings.Contains(string(out), "function") {
		t.Errorf("zsh: %v\n%s", err, out)
	}

	fish := shell(t, "fish")
	script = completionScript(t, "fish")
	cmd := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C 'bridge dlq replay --dr'; complete -C 'bridge he'")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fish: %v\n%s", err, out)
	}
	for _, want := range []string{"--dry-run", "health", "help"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("fish completions %q lack %q", out, want)
		}
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"completion", "powershell"}, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), "bash, zsh or fish") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
