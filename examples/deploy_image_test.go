package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerfile is the repository's Dockerfile, instructions joined across
// line continuations, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur == "") {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur += s + " "
			continue
		}
		out = append(out, strings.TrimSpace(cur+trimmed))
		cur = ""
	}
	return out
}

// TestDockerImage holds the image to what docs/operations.md and the
// compose example count on: pinned bases, OCI labels, a health check that
// is the bridge's own command, a data directory the non-root user owns,
// and a build context without local state or secrets.
func TestDockerImage(t *testing.T) {
	lines := dockerfile(t)
	pinned := regexp.MustCompile(`^FROM \S+@sha256:[0-9a-f]{64}( AS \S+)?$`)
	var froms, labels, copies []string
	var health, user string
	for _, l := range lines {
		switch strings.ToUpper(strings.Fields(l)[0]) {
		case "FROM":
			froms = append(froms, l)
			if !pinned.MatchString(l) {
				t.Errorf("%q: base image not pinned by digest", l)
			}
		case "LABEL":
			labels = append(labels, l)
		case "COPY":
			copies = append(copies, l)
		case "HEALTHCHECK":
			health = l
		case "USER":
			user = l
		}
	}
	if len(froms) < 2 {
		t.Errorf("want a build stage and a runtime stage, got %q", froms)
	}
	for _, key := range []string{"title", "description", "source", "version", "revision"} {
		if !strings.Contains(strings.Join(labels, " "), "org.opencontainers.image."+key+"=") {
			t.Errorf("no OCI label org.opencontainers.image.%s", key)
		}
	}
	if user != "USER nonroot:nonroot" {
		t.Errorf("runs as %q, want USER nonroot:nonroot", user)
	}
	// The health check runs the binary the image installs.
	var binary string
	for _, c := range copies {
		if f := strings.Fields(c); strings.HasSuffix(f[len(f)-1], "/bridge") && strings.Contains(c, "--from=build") {
			binary = f[len(f)-1]
		}
	}
	if binary == "" || !strings.Contains(health, `CMD ["`+binary+`", "health"`) {
		t.Errorf("HEALTHCHECK %q should run %q health", health, binary)
	}
	// The data directory (BRIDGE_DATA) is owned by nonroot (65532).
	data := regexp.MustCompile(`BRIDGE_DATA=(\S+)`).FindStringSubmatch(strings.Join(lines, "\n"))
	if data == nil {
		t.Fatal("no BRIDGE_DATA in the image's environment")
	}
	owned := false
	for _, c := range copies {
		f := strings.Fields(c)
		if f[len(f)-1] == data[1] && slices.Contains(f, "--chown=65532:65532") {
			owned = true
		}
	}
	if !owned {
		t.Errorf("BRIDGE_DATA %s is not created owned by uid 65532 (nonroot)", data[1])
	}

	// .dockerignore keeps local state and secrets out, and keeps in what
	// the build copies.
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, want := range []string{".git", "**/data/", "**/bridge.env"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "mappings", "schemas", "cmd", "internal"} {
		for _, p := range patterns {
			if strings.TrimPrefix(strings.TrimSuffix(p, "/"), "/") == needed {
				t.Errorf(".dockerignore excludes %s, which the build copies", needed)
			}
		}
	}
}
