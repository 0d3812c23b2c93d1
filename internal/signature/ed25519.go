package signature

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Public-key signatures: the provider signs "<X-Signature-Timestamp><body>"
// with its Ed25519 private key and sends the hex signature in
// X-Signature-Ed25519 (Discord's interactions endpoint:
// https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers).
// The bridge holds only public keys, in the public_key setting (hex, several
// separated by commas or spaces while the provider rotates): they are not
// secrets, and the scheme takes none. The timestamp (unix seconds) must be
// within the tolerance.
var ed25519Settings = []string{"public_key"}

const (
	ed25519Signature = "X-Signature-Ed25519"
	ed25519Timestamp = "X-Signature-Timestamp"
)

type ed25519Scheme struct {
	keys      []ed25519.PublicKey
	tolerance time.Duration
}

func newEd25519(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &ed25519Scheme{tolerance: cfg.Tolerance}
	raw, ok := s.m["public_key"]
	if !ok {
		s.errf("public_key", "public_key is required by scheme %s (the provider's Ed25519 public key, 64 hex digits)", cfg.Scheme)
		return v, s.errs
	}
	keys := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(keys) == 0 {
		s.errf("public_key", "public_key is empty: want the provider's Ed25519 public key, 64 hex digits")
	}
	for i, k := range keys {
		b, err := hex.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			s.errf("public_key", "public_key %d is not an Ed25519 public key: want 64 hex digits, got %d characters", i+1, len(k))
			continue
		}
		v.keys = append(v.keys, ed25519.PublicKey(b))
	}
	return v, s.errs
}

// discordScheme is ed25519 with Discord's handshake: the PING
// ({"type":1}) Discord sends when the endpoint URL is saved, and then at
// times with a bad signature to check that it is refused, is answered with
// a PONG ({"type":1}).
type discordScheme struct{ *ed25519Scheme }

func newDiscord(cfg Config) (Verifier, []error) {
	v, errs := newEd25519(cfg)
	return discordScheme{v.(*ed25519Scheme)}, errs
}

// Handshake answers a PING with a PONG.
func (discordScheme) Handshake(_ http.Header, body []byte) (Reply, bool, error) {
	if typ, ok := topLevel(body)["type"]; !ok || string(typ) != "1" {
		return Reply{}, false, nil
	}
	return jsonReply(map[string]int{"type": 1}), true, nil
}

func (*ed25519Scheme) DeliveryHeader() string { return "" }

func (v *ed25519Scheme) Verify(h http.Header, body []byte, now time.Time) error {
	raw := h.Get(ed25519Signature)
	if raw == "" {
		return &Error{ReasonMissing, ed25519Signature, "header is missing"}
	}
	sig, err := hex.DecodeString(raw)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return &Error{ReasonMalformed, ed25519Signature, "want 128 hex digits"}
	}
	ts, err := signedTimestamp(h, ed25519Timestamp, parseUnix, "want a unix time in seconds", v.tolerance, now)
	if err != nil {
		return err
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	for _, key := range v.keys {
		if ed25519.Verify(key, msg, sig) {
			return nil
		}
	}
	return &Error{ReasonMismatch, ed25519Signature, "no public key verifies this signature"}
}
