package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"
)

const squareTestURL = "https://bridge.example.com/webhooks/square"

// squareSign signs as Square does: base64 HMAC-SHA256 of URL + body.
func squareSign(secret string, _ time.Time, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(squareTestURL))
	mac.Write(body)
	h := http.Header{}
	h.Set("x-square-hmacsha256-signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}

// TestSquarePublishedVector: the vector every official Square SDK's
// WebhooksHelper test suite checks (square-go-sdk, square-java-sdk,
// square-python-sdk, square-nodejs-sdk, square-php-sdk, square-ruby-sdk).
func TestSquarePublishedVector(t *testing.T) {
	body := []byte(`{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`)
	h := http.Header{}
	h.Set("x-square-hmacsha256-signature", "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=")
	const key, notificationURL = "Ibxx_5AKakO-3qeNVR61Dw", "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
	v := mustNew(t, Config{Scheme: SchemeSquare, Secrets: []Secret{key}, Settings: map[string]string{"url": notificationURL}})
	assertReason(t, v.Verify(h, body, time.Now()), "")
	assertReason(t, v.Verify(h, body[:len(body)-1], time.Now()), ReasonMismatch)
	// The SDKs' other cases: another URL, another key.
	v = mustNew(t, Config{Scheme: SchemeSquare, Secrets: []Secret{key}, Settings: map[string]string{"url": "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9"}})
	assertReason(t, v.Verify(h, body, time.Now()), ReasonMismatch)
	v = mustNew(t, Config{Scheme: SchemeSquare, Secrets: []Secret{"MCmhFRxGX82xMwg5FsaoQA"}, Settings: map[string]string{"url": notificationURL}})
	assertReason(t, v.Verify(h, body, time.Now()), ReasonMismatch)
}

func TestSquare(t *testing.T) {
	// The shared table (testProviderScheme) takes no settings, and square
	// needs its url: the same cases, written out.
	sign := squareSign
	cfg := func(secrets ...Secret) Config {
		return Config{Scheme: SchemeSquare, Secrets: secrets, Settings: map[string]string{"url": squareTestURL}}
	}
	body := []byte(`{"type":"payment.updated","event_id":"e1"}`)
	v := mustNew(t, cfg("current", "old"))
	assertReason(t, v.Verify(sign("current", time.Time{}, body), body, time.Now()), "")
	assertReason(t, v.Verify(sign("old", time.Time{}, body), body, time.Now()), "")
	assertReason(t, v.Verify(sign("other", time.Time{}, body), body, time.Now()), ReasonMismatch)
	assertReason(t, v.Verify(sign("current", time.Time{}, body), append(body, ' '), time.Now()), ReasonMismatch)
	assertReason(t, v.Verify(http.Header{}, body, time.Now()), ReasonMissing)
	bad := http.Header{}
	bad.Set("x-square-hmacsha256-signature", "not base64!")
	assertReason(t, v.Verify(bad, body, time.Now()), ReasonMalformed)
	// Another URL than the one Square signs: every delivery is a mismatch.
	other := mustNew(t, Config{Scheme: SchemeSquare, Secrets: []Secret{"current"}, Settings: map[string]string{"url": squareTestURL + "/"}})
	assertReason(t, other.Verify(sign("current", time.Time{}, body), body, time.Now()), ReasonMismatch)
	if got := v.DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
	for _, tc := range []struct{ name, url, want string }{
		{"no url", "", "url is required by scheme square (the public URL the provider calls, as registered with it)"},
		{"relative url", "/webhooks/square", `url "/webhooks/square" is not an absolute http(s) URL (the public URL the provider calls, as registered with it)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Scheme: SchemeSquare, Secrets: []Secret{"k"}}
			if tc.url != "" {
				c.Settings = map[string]string{"url": tc.url}
			}
			_, err := New(c)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != "url" || err.Error() != tc.want {
				t.Errorf("New = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzSquareHeader(f *testing.F) {
	body := []byte(`{"type":"payment.updated"}`)
	f.Add(squareSign("s", time.Time{}, body).Get("x-square-hmacsha256-signature"))
	f.Add("")
	f.Add("====")
	v, err := New(Config{Scheme: SchemeSquare, Secrets: []Secret{"s"}, Settings: map[string]string{"url": squareTestURL}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig string) {
		h := http.Header{}
		h.Set("x-square-hmacsha256-signature", sig)
		if err := v.Verify(h, body, time.Now()); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
