package signature

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// The token scheme: the provider sends one of the secrets as it is, in a
// header (Authorization: Bearer <token> by default; GitLab's X-Gitlab-Token,
// for one, has no prefix).
var tokenSettings = []string{"header", "prefix", "delivery_header"}

const (
	authorization = "Authorization"
	bearerPrefix  = "Bearer "
)

type token struct {
	digests  [][sha256.Size]byte
	header   string
	prefix   string
	delivery string
}

func newToken(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &token{}
	v.header = s.header("header", authorization, false)
	def := ""
	if v.header == authorization {
		def = bearerPrefix
	}
	v.prefix = s.get("prefix", def)
	v.delivery = s.header("delivery_header", "", false)
	v.digests = secretDigests(resolvedSecrets(cfg))
	return v, s.errs
}

func (v *token) DeliveryHeader() string { return v.delivery }

func (v *token) Verify(h http.Header, _ []byte, _ time.Time) error {
	raw := h.Get(v.header)
	if raw == "" {
		return &Error{ReasonMissing, v.header, "header is missing"}
	}
	tok, ok := cutPrefixFold(raw, v.prefix)
	if !ok || tok == "" {
		if v.prefix == "" {
			return &Error{ReasonMalformed, v.header, "want a token"}
		}
		return &Error{ReasonMalformed, v.header, "want " + strings.TrimSpace(v.prefix) + " and a token"}
	}
	if matchDigest(v.digests, tok) {
		return nil
	}
	return &Error{ReasonMismatch, v.header, "no token matches"}
}

// secretDigests hashes the secrets once, at load.
func secretDigests(secrets []Secret) [][sha256.Size]byte {
	out := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		out[i] = sha256.Sum256([]byte(s))
	}
	return out
}

// matchDigest compares the SHA-256 of got with each secret's: comparing
// digests of equal length in constant time leaks neither the secrets'
// contents nor their lengths, which comparing the strings would.
func matchDigest(digests [][sha256.Size]byte, got string) bool {
	d := sha256.Sum256([]byte(got))
	match := 0
	for i := range digests {
		match |= subtle.ConstantTimeCompare(d[:], digests[i][:])
	}
	return match == 1
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case, for
// authentication schemes ("Bearer", "Basic") whose names are
// case-insensitive.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}
