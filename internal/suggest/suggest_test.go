package suggest

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"check", "check", 0}, {"chek", "check", 1}, {"catlog", "catalog", 1}, {"abc", "", 3}, {"kitten", "sitting", 3}} {
		if d := EditDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"nats.url", "nats.replicas", "stream.max_age", "http"}
	for _, tc := range []struct {
		s, want string
		ok      bool
	}{
		{"nats.ur", "nats.url", true},
		{"stream.max_ages", "stream.max_age", true},
		{"nats.replica", "nats.replicas", true},
		{"htp", "http", true},
		{"frobnicate", "", false},
	} {
		got, ok := Closest(tc.s, cands)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Closest(%q) = %q %v, want %q %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}
