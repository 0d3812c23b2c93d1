package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// metaSign signs as Meta documents it: "sha256=" and the hex HMAC-SHA256
// of the raw body keyed with the App Secret. Meta publishes no Go SDK.
func metaSign(secret string, _ time.Time, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// TestMetaExample verifies docs/signatures.md's example, computed apart
// from Go (Python's hmac).
func TestMetaExample(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp"}}]}]}`)
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=ec31bef6f03152f436da738392536908b1fabd2361d383bb85d24990360c91dd")
	v := mustNew(t, Config{Scheme: SchemeMeta, Secrets: []Secret{"a1b2c3d4e5f60718293a4b5c6d7e8f90"}})
	assertReason(t, v.Verify(h, body, time.Now()), "")
	// The bytes as sent are what is signed: one letter's case changed is a
	// mismatch.
	assertReason(t, v.Verify(h, []byte(strings.Replace(string(body), "whatsapp", "Whatsapp", 1)), time.Now()), ReasonMismatch)
	// Upper-case hex is read too.
	h.Set("X-Hub-Signature-256", "sha256="+strings.ToUpper("ec31bef6f03152f436da738392536908b1fabd2361d383bb85d24990360c91dd"))
	assertReason(t, v.Verify(h, body, time.Now()), "")
	// The legacy SHA-1 header alone is not enough.
	h = http.Header{}
	h.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
	assertReason(t, v.Verify(h, body, time.Now()), ReasonMissing)
}

func TestMeta(t *testing.T) {
	testProviderScheme(t, SchemeMeta, metaSign, "X-Hub-Signature-256", "")
	if got := mustNew(t, Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}}).DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
}

func FuzzMetaHeader(f *testing.F) {
	body := []byte(`{"object":"page"}`)
	f.Add(metaSign("s", time.Time{}, body).Get("X-Hub-Signature-256"))
	f.Add("sha256=")
	f.Add("sha1=00")
	v, err := New(Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig string) {
		h := http.Header{}
		h.Set("X-Hub-Signature-256", sig)
		if err := v.Verify(h, body, time.Now()); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
