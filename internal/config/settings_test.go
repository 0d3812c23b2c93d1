package config

import (
	"reflect"
	"regexp"
	"testing"
)

func TestSettings(t *testing.T) {
	flagName := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	keyName := regexp.MustCompile(`^[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)?$`)
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, s := range Settings() {
		t.Run(s.Flag, func(t *testing.T) {
			if !flagName.MatchString(s.Flag) {
				t.Errorf("flag %q is not lower-case words joined by dashes", s.Flag)
			}
			if s.Key != "" && !keyName.MatchString(s.Key) {
				t.Errorf("key %q is not a dotted snake-case name", s.Key)
			}
			if want := envName(s.Flag); s.Env != want {
				t.Errorf("env = %q, want %q", s.Env, want)
			}
			if flags[s.Flag] || (s.Key != "" && keys[s.Key]) {
				t.Errorf("flag %q or key %q used twice", s.Flag, s.Key)
			}
			flags[s.Flag], keys[s.Key] = true, true
			if s.Usage == "" || s.Arg == "" {
				t.Error("usage or arg missing")
			}
		})
	}
	if got := envName("nats-url"); got != "BRIDGE_NATS_URL" {
		t.Errorf(`envName("nats-url") = %q`, got)
	}
}

// TestTableRoundTrip checks every row's parser reads its formatter's
// output of the default back to the default, so help and docs show
// defaults that work when typed.
func TestTableRoundTrip(t *testing.T) {
	def := Default()
	for _, r := range table() {
		t.Run(r.flag, func(t *testing.T) {
			c := def
			if err := r.parse(&c, r.format(def)); err != nil {
				t.Fatalf("parse(%q) = %v", r.format(def), err)
			}
			if !reflect.DeepEqual(c, def) {
				t.Errorf("parse(%q) changed the config to %+v", r.format(def), c)
			}
		})
	}
}
