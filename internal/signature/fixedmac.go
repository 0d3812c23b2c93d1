package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"time"
)

// fixedMAC is a provider's own HMAC-SHA256 scheme, fixed by its
// documentation: the MAC in one header, behind a prefix, hex or base64;
// over the body, or over "<before><timestamp><between><body>" when the
// provider signs a timestamp header, which must then be within the
// tolerance. Slack, Zoom, Shopify and Meta are instances.
type fixedMAC struct {
	macEncoding // of HMAC-SHA256: the size is set by newFixedMAC
	keys        [][]byte
	sigHeader   string // canonical
	tsHeader    string // "" when no timestamp is signed
	before      string // signed before the timestamp, e.g. "v0:"
	between     string // signed between the timestamp and the body, e.g. ":"
	delivery    string
	tolerance   time.Duration
}

// newFixedMAC returns a scheme's verifier with the Config's secrets and
// tolerance.
func newFixedMAC(cfg Config, v fixedMAC) *fixedMAC {
	v.tolerance, v.size = cfg.Tolerance, sha256.Size
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return &v
}

func (v *fixedMAC) DeliveryHeader() string { return v.delivery }

func (v *fixedMAC) Verify(h http.Header, body []byte, now time.Time) error {
	raw := h.Get(v.sigHeader)
	if raw == "" {
		return &Error{ReasonMissing, v.sigHeader, "header is missing"}
	}
	sig, ok := v.decode(raw)
	if !ok {
		return &Error{ReasonMalformed, v.sigHeader, v.want()}
	}
	var ts string
	if v.tsHeader != "" {
		var err error
		if ts, err = signedTimestamp(h, v.tsHeader, parseUnix, "want a unix time in seconds", v.tolerance, now); err != nil {
			return err
		}
	}
	if v.match(sig, ts, body) < 0 {
		return &Error{ReasonMismatch, v.sigHeader, "no signature matches"}
	}
	return nil
}

// match returns the index of the key that gives sig over ts and body, or
// -1.
func (v *fixedMAC) match(sig []byte, ts string, body []byte) int {
	var sum [sha256.Size]byte
	for i, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		if v.tsHeader != "" {
			mac.Write([]byte(v.before))
			mac.Write([]byte(ts))
			mac.Write([]byte(v.between))
		}
		mac.Write(body)
		if hmac.Equal(sig, mac.Sum(sum[:0])) {
			return i
		}
	}
	return -1
}

// signingKey returns the key that signed a delivery Verify accepted, for a
// handshake answered with it; the first key if none did.
func (v *fixedMAC) signingKey(h http.Header, body []byte) []byte {
	if sig, ok := v.decode(h.Get(v.sigHeader)); ok {
		if i := v.match(sig, h.Get(v.tsHeader), body); i >= 0 {
			return v.keys[i]
		}
	}
	return v.keys[0]
}
