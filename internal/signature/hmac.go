package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The generic HMAC scheme, for providers without a scheme of their own: the
// MAC of the body, of "<timestamp><separator><body>", or of what the signed
// expression builds (signed.go), keyed with the secret's bytes, sent in one
// header, optionally behind a prefix (and, with the mac expression, as one
// part of that header).
var hmacSettings = []string{"header", "algorithm", "encoding", "prefix", "signed", "timestamp_header", "separator", "delivery_header",
	"mac", "timestamp", "url"}

// Values and defaults of the hmac settings.
const (
	hmacSHA256         = "sha256"
	hmacSHA512         = "sha512"
	hmacHex            = "hex"
	hmacBase64         = "base64"
	hmacSignedBody     = "body"
	hmacSignedTSBody   = "timestamp+body"
	hmacDefaultSep     = "."
	hmacMaxSignatureSz = 1024 // longer header values are malformed without decoding
)

type hmacScheme struct {
	macEncoding
	keys      [][]byte
	newHash   func() hash.Hash
	header    string
	tsHeader  string // "" when only the body is signed
	separator string
	delivery  string
	tolerance time.Duration

	// With an expression for signed (else nil): what is MAC'ed, where the
	// MAC is (nil: the whole header) and the timestamp (nil: none, or
	// tsHeader's); vars is what they read, url the url setting.
	signed, mac, timestamp *signedExpr
	vars                   signedVar
	url                    string
}

func newHMAC(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &hmacScheme{tolerance: cfg.Tolerance}
	v.header = s.header("header", "", true)
	switch s.oneOf("algorithm", hmacSHA256, hmacSHA256, hmacSHA512) {
	case hmacSHA512:
		v.newHash, v.size = sha512.New, sha512.Size
	default:
		v.newHash, v.size = sha256.New, sha256.Size
	}
	v.base64 = s.oneOf("encoding", hmacHex, hmacHex, hmacBase64) == hmacBase64
	v.prefix = s.get("prefix", "")
	switch signed := s.get("signed", hmacSignedBody); {
	case signed == hmacSignedTSBody:
		v.tsHeader = s.header("timestamp_header", "", true)
		v.separator = s.get("separator", hmacDefaultSep)
		v.checkTSHeader(s)
		for _, name := range []string{"mac", "timestamp", "url"} {
			if s.has(name) {
				s.errf(name, "%s is only used when signed is an expression (signed %s has no use for it)", name, hmacSignedTSBody)
			}
		}
	case signed == hmacSignedBody && !s.has("mac") && !s.has("timestamp") && !s.has("url"):
		for _, name := range []string{"timestamp_header", "separator"} {
			if s.has(name) {
				s.errf(name, "%s is only used when signed is %s or an expression", name, hmacSignedTSBody)
			}
		}
	default: // an expression ("body" too, when mac, timestamp or url asks for one)
		v.compileExpressions(s, signed)
	}
	v.delivery = s.header("delivery_header", "", false)
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return v, s.errs
}

// checkTSHeader refuses a timestamp_header that is the MAC's header.
func (v *hmacScheme) checkTSHeader(s *settings) {
	if v.tsHeader != "" && strings.EqualFold(v.tsHeader, v.header) {
		s.errf("timestamp_header", "timestamp_header %q is the header of the MAC: one header cannot carry both, no delivery could verify", v.tsHeader)
	}
}

func (v *hmacScheme) DeliveryHeader() string { return v.delivery }

// Verify checks a delivery as if its URL had no query.
func (v *hmacScheme) Verify(h http.Header, body []byte, now time.Time) error {
	return v.VerifyURL(nil, h, body, now)
}

// VerifyURL checks a delivery whose request URL is u (its query is what
// the expressions see as query and after url).
func (v *hmacScheme) VerifyURL(u *url.URL, h http.Header, body []byte, now time.Time) error {
	if v.signed != nil {
		return v.verifySigned(u, h, body, now)
	}
	raw := h.Get(v.header)
	if raw == "" {
		return &Error{ReasonMissing, v.header, "header is missing"}
	}
	sig, ok := v.decode(raw)
	if !ok {
		return &Error{ReasonMalformed, v.header, v.want()}
	}
	var ts string
	if v.tsHeader != "" {
		var err error
		if ts, err = signedTimestamp(h, v.tsHeader, parseTimestamp, "want a unix time in seconds or an RFC 3339 time", v.tolerance, now); err != nil {
			return err
		}
	}
	var sum [sha512.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(v.newHash, key)
		if v.tsHeader != "" {
			mac.Write([]byte(ts))
			mac.Write([]byte(v.separator))
		}
		mac.Write(body)
		if hmac.Equal(sig, mac.Sum(sum[:0])) {
			return nil
		}
	}
	return &Error{ReasonMismatch, v.header, "no signature matches"}
}

// macEncoding is how a scheme writes its MAC in a header: behind a
// prefix, in hex or base64, of a fixed size. The generic hmac scheme and
// the providers' fixed ones (fixedMAC) share it.
type macEncoding struct {
	prefix string // before the MAC, e.g. "v0=" or "sha256="
	base64 bool   // else hex
	size   int    // the MAC's bytes
}

// decode strips the prefix and decodes the MAC, which must have the size.
func (e macEncoding) decode(raw string) ([]byte, bool) {
	if len(raw) > hmacMaxSignatureSz {
		return nil, false
	}
	enc, ok := strings.CutPrefix(raw, e.prefix)
	if !ok {
		return nil, false
	}
	var sig []byte
	var err error
	if e.base64 {
		sig, err = base64.StdEncoding.DecodeString(enc)
	} else {
		sig, err = hex.DecodeString(enc)
	}
	return sig, err == nil && len(sig) == e.size
}

// want says what a malformed MAC should have been.
func (e macEncoding) want() string {
	enc := "hex digits"
	n := e.size * 2
	if e.base64 {
		enc, n = "base64 characters", base64.StdEncoding.EncodedLen(e.size)
	}
	if e.prefix == "" {
		return fmt.Sprintf("want %d %s", n, enc)
	}
	return fmt.Sprintf("want %q and %d %s", e.prefix, n, enc)
}

// signedTimestamp reads the signed timestamp header name: present, in the
// form parse reads (wantForm says which when it is not), and within the
// tolerance of now. It returns the header's value as signed.
func signedTimestamp(h http.Header, name string, parse func(string) (time.Time, bool), wantForm string, tolerance time.Duration, now time.Time) (string, error) {
	ts := h.Get(name)
	if ts == "" {
		return "", &Error{ReasonMissing, name, "header is missing"}
	}
	at, ok := parse(ts)
	if !ok {
		return "", &Error{ReasonMalformed, name, wantForm}
	}
	if !fresh(at, now, tolerance) {
		return "", &Error{ReasonExpired, name, "timestamp outside the tolerance of " + tolerance.String()}
	}
	return ts, nil
}

// parseTimestamp reads unix seconds (digits only) or an RFC 3339 time, the
// two forms providers put in a timestamp header.
func parseTimestamp(v string) (time.Time, bool) {
	if t, ok := parseUnix(v); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}
