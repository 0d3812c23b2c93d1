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
	"strings"
	"time"
)

// The generic HMAC scheme, for providers without a scheme of their own: the
// MAC of the body, or of "<timestamp><separator><body>", keyed with the
// secret's bytes, sent in one header, optionally behind a prefix.
var hmacSettings = []string{"header", "algorithm", "encoding", "prefix", "signed", "timestamp_header", "separator", "delivery_header"}

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
	keys      [][]byte
	newHash   func() hash.Hash
	size      int
	header    string
	base64    bool
	prefix    string
	tsHeader  string // "" when only the body is signed
	separator string
	delivery  string
	tolerance time.Duration
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
	if s.oneOf("signed", hmacSignedBody, hmacSignedBody, hmacSignedTSBody) == hmacSignedTSBody {
		v.tsHeader = s.header("timestamp_header", "", true)
		v.separator = s.get("separator", hmacDefaultSep)
		if v.tsHeader != "" && strings.EqualFold(v.tsHeader, v.header) {
			s.errf("timestamp_header", "timestamp_header %q is the header of the MAC: one header cannot carry both, no delivery could verify", v.tsHeader)
		}
	} else {
		for _, name := range []string{"timestamp_header", "separator"} {
			if s.has(name) {
				s.errf(name, "%s is only used when signed is %s", name, hmacSignedTSBody)
			}
		}
	}
	v.delivery = s.header("delivery_header", "", false)
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return v, s.errs
}

func (v *hmacScheme) DeliveryHeader() string { return v.delivery }

func (v *hmacScheme) Verify(h http.Header, body []byte, now time.Time) error {
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
		if ts = h.Get(v.tsHeader); ts == "" {
			return &Error{ReasonMissing, v.tsHeader, "header is missing"}
		}
		at, ok := parseTimestamp(ts)
		if !ok {
			return &Error{ReasonMalformed, v.tsHeader, "want a unix time in seconds or an RFC 3339 time"}
		}
		if !fresh(at, now, v.tolerance) {
			return &Error{ReasonExpired, v.tsHeader, "timestamp outside the tolerance of " + v.tolerance.String()}
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

// decode strips the prefix and decodes the MAC; it must have the
// algorithm's size.
func (v *hmacScheme) decode(raw string) ([]byte, bool) {
	if len(raw) > hmacMaxSignatureSz {
		return nil, false
	}
	enc, ok := strings.CutPrefix(raw, v.prefix)
	if !ok {
		return nil, false
	}
	var sig []byte
	var err error
	if v.base64 {
		sig, err = base64.StdEncoding.DecodeString(enc)
	} else {
		sig, err = hex.DecodeString(enc)
	}
	return sig, err == nil && len(sig) == v.size
}

func (v *hmacScheme) want() string {
	enc := "hex digits"
	n := v.size * 2
	if v.base64 {
		enc, n = "base64 characters", base64.StdEncoding.EncodedLen(v.size)
	}
	if v.prefix == "" {
		return fmt.Sprintf("want %d %s", n, enc)
	}
	return fmt.Sprintf("want %q and %d %s", v.prefix, n, enc)
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
