package config

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEverySetting fails when docs/configuration.md lacks a
// setting, or shows it with another env, key or default, or lists a flag
// that does not exist.
func TestDocsListEverySetting(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // flag -> its table row
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		first := strings.TrimSpace(cells[1])
		if strings.HasPrefix(first, "`--") {
			rows[strings.Trim(first, "`-")] = line
		}
	}
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Flag] = true
		t.Run(s.Flag, func(t *testing.T) {
			row, ok := rows[s.Flag]
			if !ok {
				t.Fatalf("docs/configuration.md has no table row for --%s", s.Flag)
			}
			want := []string{"`" + s.Env + "`"}
			if s.Key != "" {
				want = append(want, "`"+s.Key+"`")
			}
			if s.Default != "" {
				want = append(want, "`"+s.Default+"`")
			} else {
				want = append(want, "| none |")
			}
			for _, w := range want {
				if !strings.Contains(row, w) {
					t.Errorf("row of --%s lacks %s:\n%s", s.Flag, w, row)
				}
			}
		})
	}
	for flag := range rows {
		if !known[flag] {
			t.Errorf("docs/configuration.md lists --%s, which is not a setting", flag)
		}
	}
}
