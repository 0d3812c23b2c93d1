package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"
)

// Square signs "<notification URL><body>" with HMAC-SHA256 keyed with the
// subscription's signature key and sends it base64-encoded in
// x-square-hmacsha256-signature; the notification URL is the one the
// subscription was registered with, byte for byte, given in the url setting
// (https://developer.squareup.com/docs/webhooks/step3validate). Square signs
// no timestamp and sends no delivery id header (event_id is in the body).
var squareSettings = []string{"url"}

const squareSignature = "X-Square-Hmacsha256-Signature"

type square struct {
	keys [][]byte
	url  []byte
}

func newSquare(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &square{}
	u := publicURL(s, cfg.Scheme)
	v.url = []byte(u)
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return v, s.errs
}

// publicURL reads the url setting: required, an absolute http or https URL,
// the one the provider was told to call.
func publicURL(s *settings, scheme string) string {
	raw, ok := s.m["url"]
	if !ok {
		s.errf("url", "url is required by scheme %s (the public URL the provider calls, as registered with it)", scheme)
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		s.errf("url", "url %q is not an absolute http(s) URL (the public URL the provider calls, as registered with it)", raw)
	}
	return raw
}

func (*square) DeliveryHeader() string { return "" }

func (v *square) Verify(h http.Header, body []byte, _ time.Time) error {
	raw := h.Get(squareSignature)
	if raw == "" {
		return &Error{ReasonMissing, squareSignature, "header is missing"}
	}
	sig, err := base64.StdEncoding.DecodeString(raw)
	if len(raw) > hmacMaxSignatureSz || err != nil || len(sig) != sha256.Size {
		return &Error{ReasonMalformed, squareSignature, "want 44 base64 characters"}
	}
	var sum [sha256.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(v.url)
		mac.Write(body)
		if hmac.Equal(sig, mac.Sum(sum[:0])) {
			return nil
		}
	}
	return &Error{ReasonMismatch, squareSignature, "no signature matches (is url the notification URL registered with Square?)"}
}
