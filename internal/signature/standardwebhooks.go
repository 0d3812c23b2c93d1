package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0): the
// signed content is "<webhook-id>.<webhook-timestamp>.<body>", HMAC-SHA256
// keyed with the base64-decoded part of a "whsec_<base64>" secret;
// webhook-signature is a space-separated list of "v1,<base64 MAC>" (other
// versions, such as the asymmetric v1a, are skipped). webhook-id stays the
// same on every retry: it is the delivery id.
const (
	swID        = "Webhook-Id"
	swTimestamp = "Webhook-Timestamp"
	swSignature = "Webhook-Signature"
	swPrefix    = "whsec_"
)

type standardWebhooks struct {
	keys      [][]byte
	tolerance time.Duration
}

func newStandardWebhooks(cfg Config) (Verifier, []error) {
	v := &standardWebhooks{tolerance: cfg.Tolerance}
	var errs []error
	for i, s := range cfg.Secrets {
		if s == "" {
			continue // New reports it
		}
		key, err := standardWebhooksKey(string(s))
		if err != nil {
			errs = append(errs, &ConfigError{Setting: "secrets", Secret: i + 1, Msg: fmt.Sprintf("secret %d %v", i+1, err)})
			continue
		}
		v.keys = append(v.keys, key)
	}
	return v, errs
}

// standardWebhooksKey decodes a "whsec_<base64>" secret as the official
// libraries do: the prefix may be left out, the rest is standard base64.
// The error never quotes the secret.
func standardWebhooksKey(s string) ([]byte, error) {
	if strings.HasPrefix(s, "whpk_") || strings.HasPrefix(s, "whsk_") {
		return nil, fmt.Errorf("is an asymmetric (v1a, ed25519) key: only symmetric whsec_ secrets are supported")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, swPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("is not a Standard Webhooks secret: want whsec_ followed by base64")
	}
	return key, nil
}

func (*standardWebhooks) DeliveryHeader() string { return swID }

func (s *standardWebhooks) Verify(h http.Header, body []byte, now time.Time) error {
	sigHeader := h.Get(swSignature)
	if sigHeader == "" {
		return &Error{ReasonMissing, swSignature, "header is missing"}
	}
	id, ts := h.Get(swID), h.Get(swTimestamp)
	if id == "" {
		return &Error{ReasonMissing, swID, "header is missing"}
	}
	if ts == "" {
		return &Error{ReasonMissing, swTimestamp, "header is missing"}
	}
	// The signed content is split at dots: an id with a dot could move the
	// split, so the spec forbids it and so do we.
	if strings.IndexByte(id, '.') >= 0 {
		return &Error{ReasonMalformed, swID, "must not contain a dot"}
	}
	at, ok := parseUnix(ts)
	if !ok {
		return &Error{ReasonMalformed, swTimestamp, "want a unix time in seconds"}
	}
	var sigs [][]byte
	for _, entry := range strings.Fields(sigHeader) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil && len(sig) == sha256.Size {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return &Error{ReasonMalformed, swSignature, `no "v1,<base64>" signature`}
	}
	if !fresh(at, now, s.tolerance) {
		return &Error{ReasonExpired, swTimestamp, "timestamp outside the tolerance of " + s.tolerance.String()}
	}
	// Sign the timestamp as the libraries do: its decimal value.
	var tsBuf [20]byte
	canonicalTS := strconv.AppendInt(tsBuf[:0], at.Unix(), 10)
	var sum [sha256.Size]byte
	for _, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write(canonicalTS)
		mac.Write([]byte{'.'})
		mac.Write(body)
		want := mac.Sum(sum[:0])
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return &Error{ReasonMismatch, swSignature, "no signature matches"}
}
