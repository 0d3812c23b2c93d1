package buildinfo

import "testing"

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ stamped, module, want string }{
		{"dev", "v1.2.3", "v1.2.3"},    // go install ...@v1.2.3
		{"dev", "(devel)", "dev"},      // a build from a checkout
		{"dev", "", "dev"},             // no module information
		{"v2.0.0", "v1.2.3", "v2.0.0"}, // -ldflags -X wins
		{"v2.0.0-3-gabc", "(devel)", "v2.0.0-3-gabc"},
	} {
		if got := version(tc.stamped, tc.module); got != tc.want {
			t.Errorf("version(%q, %q) = %q, want %q", tc.stamped, tc.module, got, tc.want)
		}
	}
}
