package signature

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
)

// Meta (Facebook, Instagram, Messenger, WhatsApp Cloud API webhooks) signs
// the raw body with HMAC-SHA256 keyed with the app's App Secret and sends
// "sha256=<hex>" in X-Hub-Signature-256; it signs no timestamp and sends
// no delivery id header
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
//
// Before it delivers, Meta checks the endpoint with an unsigned
// GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C and expects C
// back when T is the Verify Token given with the endpoint
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests).
// With the verify_token setting (a secret) the scheme answers it.
const metaSignature = "X-Hub-Signature-256"

var metaSettings = []string{"verify_token"}

// metaChallenger is the meta scheme with a verify_token: it answers
// Meta's verification GET.
type metaChallenger struct {
	*fixedMAC
	tokenSum [sha256.Size]byte // of the verify token: compared in constant time whatever the lengths
}

func newMeta(cfg Config) (Verifier, []error) {
	mac := newFixedMAC(cfg, fixedMAC{sigHeader: metaSignature, macEncoding: macEncoding{prefix: "sha256="}})
	tok := cfg.SecretSettings["verify_token"]
	if tok == "" { // unset, or empty (New reports that)
		return mac, nil
	}
	return &metaChallenger{fixedMAC: mac, tokenSum: sha256.Sum256([]byte(tok))}, nil
}

// Challenge answers a subscription GET whose hub.verify_token is the
// configured one with its hub.challenge, as text.
func (v *metaChallenger) Challenge(q url.Values) (Reply, error) {
	sum := sha256.Sum256([]byte(q.Get("hub.verify_token")))
	if subtle.ConstantTimeCompare(sum[:], v.tokenSum[:]) != 1 {
		return Reply{}, &HandshakeError{Forbidden: true, Field: "hub.verify_token", Detail: "does not match the verify_token of this provider's mapping"}
	}
	if mode := q.Get("hub.mode"); mode != "subscribe" {
		return Reply{}, &HandshakeError{Forbidden: true, Field: "hub.mode", Detail: "want subscribe"}
	}
	c := q.Get("hub.challenge")
	if !shortToken(c) {
		return Reply{}, badChallenge("hub.challenge")
	}
	return Reply{ContentType: "text/plain; charset=utf-8", Body: []byte(c)}, nil
}
