package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stripeHeader carries "t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]"; the
// signed content is "<t>.<body>", HMAC-SHA256 keyed with the whole endpoint
// secret (whsec_ prefix included), as Stripe documents it.
const stripeHeader = "Stripe-Signature"

type stripe struct {
	secrets   []Secret
	tolerance time.Duration
}

func newStripe(cfg Config) (Verifier, []error) {
	return &stripe{secrets: cfg.Secrets, tolerance: cfg.Tolerance}, nil
}

func (*stripe) DeliveryHeader() string { return "" }

func (s *stripe) Verify(h http.Header, body []byte, now time.Time) error {
	v := h.Get(stripeHeader)
	if v == "" {
		return &Error{ReasonMissing, stripeHeader, "header is missing"}
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			if b, err := hex.DecodeString(val); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &Error{ReasonMalformed, stripeHeader, "no valid timestamp t="}
	}
	if len(sigs) == 0 {
		return &Error{ReasonMalformed, stripeHeader, "no v1 signature"}
	}
	if d := now.Sub(time.Unix(unix, 0)); d > s.tolerance || d < -s.tolerance {
		return &Error{ReasonExpired, stripeHeader, "timestamp outside the tolerance of " + s.tolerance.String()}
	}
	for _, secret := range s.secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		want := mac.Sum(nil)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return &Error{ReasonMismatch, stripeHeader, "no signature matches"}
}
