package subscriber_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every test docs/subscribers.md names as a proof exists.
func TestDocsNameRealTests(t *testing.T) {
	doc, err := os.ReadFile("../docs/subscribers.md")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, pattern := range []string{"*_test.go", "../examples/subscriber/*_test.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	named := regexp.MustCompile(`\bTest[A-Z][A-Za-z]+`).FindAllString(string(doc), -1)
	if len(named) < 5 {
		t.Fatalf("docs/subscribers.md names %d tests; the test no longer reads it", len(named))
	}
	for _, name := range named {
		if !strings.Contains(src.String(), "func "+name+"(") {
			t.Errorf("docs/subscribers.md names %s, which no test of subscriber or examples/subscriber is", name)
		}
	}
}
