package signature

// Meta (Facebook, Instagram, Messenger, WhatsApp Cloud API webhooks) signs
// the raw body with HMAC-SHA256 keyed with the app's App Secret and sends
// "sha256=<hex>" in X-Hub-Signature-256; it signs no timestamp and sends
// no delivery id header
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
const metaSignature = "X-Hub-Signature-256"

func newMeta(cfg Config) (Verifier, []error) {
	return newFixedMAC(cfg, fixedMAC{sigHeader: metaSignature, prefix: "sha256="}), nil
}
