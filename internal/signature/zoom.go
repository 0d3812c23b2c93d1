package signature

// Zoom signs "v0:<x-zm-request-timestamp>:<body>" with HMAC-SHA256 keyed
// with the app's Secret Token and sends "v0=<hex>" in x-zm-signature; the
// timestamp is unix seconds and must be within the tolerance
// (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events).
// Zoom sends no delivery id header.
const (
	zoomSignature = "X-Zm-Signature"
	zoomTimestamp = "X-Zm-Request-Timestamp"
)

func newZoom(cfg Config) (Verifier, []error) {
	return newFixedMAC(cfg, fixedMAC{sigHeader: zoomSignature, prefix: "v0=", tsHeader: zoomTimestamp, before: "v0:", between: ":"}), nil
}
