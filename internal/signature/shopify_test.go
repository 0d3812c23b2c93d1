package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"
)

// shopifySign signs as Shopify documents it: the base64 HMAC-SHA256 of the
// raw body (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries).
// Shopify publishes no Go SDK.
func shopifySign(secret string, _ time.Time, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
	return h
}

// TestShopifyExample verifies docs/signatures.md's example, computed apart
// from Go (Python's hmac: base64(HMAC-SHA256(secret, body))).
func TestShopifyExample(t *testing.T) {
	body := []byte(`{"id":820982911946154508,"email":"jon@example.com","financial_status":"paid"}`)
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", "ZXwt0Mh+bkR1cs99mHVZJAlTZllhRSPhP1mngcVFjVw=")
	v := mustNew(t, Config{Scheme: SchemeShopify, Secrets: []Secret{"shpss_0123456789abcdef0123456789abcdef"}})
	assertReason(t, v.Verify(h, body, time.Now()), "")
	assertReason(t, v.Verify(h, body[:len(body)-1], time.Now()), ReasonMismatch)
	// Hex, as a hand-made check might send it, is malformed, not a mismatch.
	h.Set("X-Shopify-Hmac-Sha256", "657c2dd0c87e6e447572cf7d9875592409536659614523e13f59a781c5458d5c")
	assertReason(t, v.Verify(h, body, time.Now()), ReasonMalformed)
}

func TestShopify(t *testing.T) {
	testProviderScheme(t, SchemeShopify, shopifySign, "X-Shopify-Hmac-Sha256", "")
	if got := mustNew(t, Config{Scheme: SchemeShopify, Secrets: []Secret{"s"}}).DeliveryHeader(); got != "X-Shopify-Webhook-Id" {
		t.Errorf("DeliveryHeader = %q, want X-Shopify-Webhook-Id", got)
	}
}

func FuzzShopifyHeader(f *testing.F) {
	body := []byte(`{"id":1}`)
	f.Add(shopifySign("s", time.Time{}, body).Get("X-Shopify-Hmac-Sha256"))
	f.Add("====")
	f.Add("")
	v, err := New(Config{Scheme: SchemeShopify, Secrets: []Secret{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig string) {
		h := http.Header{}
		h.Set("X-Shopify-Hmac-Sha256", sig)
		if err := v.Verify(h, body, time.Now()); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
