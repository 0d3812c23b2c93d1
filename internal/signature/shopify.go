package signature

// Shopify signs the raw body with HMAC-SHA256 keyed with the app's client
// secret (or, for a webhook made in the store admin, the key shown there)
// and sends it base64-encoded in X-Shopify-Hmac-Sha256; it signs no
// timestamp. X-Shopify-Webhook-Id stays the same on every retry of a
// delivery (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries).
const (
	shopifySignature = "X-Shopify-Hmac-Sha256"
	shopifyDelivery  = "X-Shopify-Webhook-Id"
)

func newShopify(cfg Config) (Verifier, []error) {
	return newFixedMAC(cfg, fixedMAC{sigHeader: shopifySignature, macEncoding: macEncoding{base64: true}, delivery: shopifyDelivery}), nil
}
