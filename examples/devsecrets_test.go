package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDevSecretsCoverTheMappings: `make run` and `make cluster` start the
// bridge on the repository's mappings with nothing to set up (README's
// "Run it"), and a mapping whose ${VAR} is unset does not load, so each
// gives every ${VAR} of mappings/ a development-only default: the Makefile
// (VAR ?= ..., exported) and examples/cluster/run.sh (export VAR=${VAR:-...}).
func TestDevSecretsCoverTheMappings(t *testing.T) {
	var texts []string
	for _, text := range mappingFiles(t, filepath.Join("..", "mappings")) {
		texts = append(texts, text)
	}
	vars := secretRefs(texts...)
	if len(vars) == 0 {
		t.Fatal("no ${VAR} in the shipped mappings")
	}
	makefile := readText(t, filepath.Join("..", "Makefile"))
	var exported []string
	for _, m := range regexp.MustCompile(`(?m)^export (.+)$`).FindAllStringSubmatch(makefile, -1) {
		exported = append(exported, strings.Fields(m[1])...)
	}
	runSh := readText(t, filepath.Join("cluster", "run.sh"))
	for _, v := range vars {
		q := regexp.QuoteMeta(v)
		if !regexp.MustCompile(`(?m)^` + q + ` \?= \S*dev_?-?only\S*$`).MatchString(makefile) {
			t.Errorf("Makefile gives %s no development-only default (%s ?= ...dev-only...): make run would not start", v, v)
		}
		if !slices.Contains(exported, v) {
			t.Errorf("Makefile does not export %s", v)
		}
		if !regexp.MustCompile(`(?m)^export ` + q + `=\$\{` + q + `:-\S*dev_?-?only\S*\}$`).MatchString(runSh) {
			t.Errorf("cluster/run.sh gives %s no development-only default (export %s=${%s:-...}): make cluster would not start", v, v, v)
		}
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
