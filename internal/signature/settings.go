package signature

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// settings reads a Config's scheme settings and collects what is wrong with
// them, so that a scheme reports every problem at once.
type settings struct {
	scheme string
	m      map[string]string
	errs   []error
}

func newSettings(cfg Config) *settings { return &settings{scheme: cfg.Scheme, m: cfg.Settings} }

func (s *settings) errf(name, format string, args ...any) {
	s.errs = append(s.errs, &ConfigError{Setting: name, Msg: fmt.Sprintf(format, args...)})
}

func (s *settings) has(name string) bool {
	_, ok := s.m[name]
	return ok
}

// get returns the setting, or def when it is left out.
func (s *settings) get(name, def string) string {
	if v, ok := s.m[name]; ok {
		return v
	}
	return def
}

// oneOf returns the setting, def when it is left out; any other value than
// those allowed is a problem.
func (s *settings) oneOf(name, def string, allowed ...string) string {
	v := s.get(name, def)
	if !slices.Contains(allowed, v) {
		s.errf(name, "%s %q is not supported by scheme %s (want %s)", name, v, s.scheme, strings.Join(allowed, " or "))
	}
	return v
}

// header returns the setting as a canonical header name, def when it is
// left out; required makes leaving it out a problem.
func (s *settings) header(name, def string, required bool) string {
	v, ok := s.m[name]
	if !ok {
		if required {
			s.errf(name, "%s is required by scheme %s (the name of the header)", name, s.scheme)
		}
		return def
	}
	if !validHeaderName(v) {
		s.errf(name, "%s %q is not a header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name, v)
		return ""
	}
	return http.CanonicalHeaderKey(v)
}

// validHeaderName reports whether v is an RFC 9110 token, as a field name
// must be.
func validHeaderName(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// resolvedSecrets returns the secrets that are set; New reports the empty ones.
func resolvedSecrets(cfg Config) []Secret {
	out := make([]Secret, 0, len(cfg.Secrets))
	for _, s := range cfg.Secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseUnix reads a timestamp header of decimal unix seconds, digits only:
// no sign, no spaces, no fraction.
func parseUnix(v string) (time.Time, bool) {
	if v == "" || len(v) > 18 {
		return time.Time{}, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// fresh reports whether at is within tolerance of now, in both directions.
func fresh(at, now time.Time, tolerance time.Duration) bool {
	d := now.Sub(at)
	return d <= tolerance && d >= -tolerance
}

// PlaceholderSecret is a secret of the right form for scheme, for tools
// that load mappings without the real secrets and never verify a delivery.
func PlaceholderSecret(scheme string) Secret {
	switch scheme {
	case SchemeStandardWebhooks:
		return "whsec_cGxhY2Vob2xkZXItc2VjcmV0LWZvci10b29scw==" // base64("placeholder-secret-for-tools")
	case SchemeBasic:
		return "placeholder:placeholder"
	case SchemeAdyen:
		return "706c616365686f6c6465722d7365637265742d666f722d746f6f6c73" // hex("placeholder-secret-for-tools")
	}
	return "placeholder-secret-for-tools"
}
