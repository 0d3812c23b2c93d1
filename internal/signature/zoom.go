package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// Zoom signs "v0:<x-zm-request-timestamp>:<body>" with HMAC-SHA256 keyed
// with the app's Secret Token and sends "v0=<hex>" in x-zm-signature; the
// timestamp is unix seconds and must be within the tolerance
// (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events).
// Zoom sends no delivery id header.
//
// Zoom validates the endpoint (when it is saved, then every 72 hours) with
// a signed {"event":"endpoint.url_validation","payload":{"plainToken":P}}
// and expects {"plainToken":P,"encryptedToken":hex(HMAC-SHA256(Secret
// Token, P))} (https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint).
const (
	zoomSignature = "X-Zm-Signature"
	zoomTimestamp = "X-Zm-Request-Timestamp"
)

// zoomHandshake marks the body of a handshake.
var zoomHandshake = []byte("endpoint.url_validation")

type zoomScheme struct{ *fixedMAC }

func newZoom(cfg Config) (Verifier, []error) {
	return zoomScheme{newFixedMAC(cfg, fixedMAC{sigHeader: zoomSignature, macEncoding: macEncoding{prefix: "v0="}, tsHeader: zoomTimestamp, before: "v0:", between: ":"})}, nil
}

// Handshake answers an endpoint.url_validation, its token keyed with the
// secret that signed the request (the first one while secrets rotate and
// several would).
func (v zoomScheme) Handshake(h http.Header, body []byte) (Reply, bool, error) {
	if !mentions(body, zoomHandshake) {
		return Reply{}, false, nil
	}
	m := topLevel(body)
	if ev, _ := stringMember(m, "event"); ev != "endpoint.url_validation" {
		return Reply{}, false, nil
	}
	var payload map[string]json.RawMessage
	if raw, ok := m["payload"]; ok {
		_ = json.Unmarshal(raw, &payload)
	}
	p, ok := stringMember(payload, "plainToken")
	if !ok || !shortToken(p) {
		return Reply{}, true, badChallenge("payload.plainToken")
	}
	key := v.signingKey(h, body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(p))
	return jsonReply(map[string]string{"plainToken": p, "encryptedToken": hex.EncodeToString(mac.Sum(nil))}), true, nil
}
