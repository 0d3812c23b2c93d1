package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// zoomSign signs as Zoom documents it: "v0=" and the hex HMAC-SHA256 of
// "v0:<x-zm-request-timestamp>:<body>". Zoom publishes no Go SDK.
func zoomSign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	h := http.Header{}
	h.Set("x-zm-request-timestamp", ts)
	h.Set("x-zm-signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// TestZoomExample verifies docs/signatures.md's example, computed apart
// from Go (Python's hmac).
func TestZoomExample(t *testing.T) {
	body := []byte(`{"event":"meeting.started","event_ts":1700000000123,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","topic":"Standup"}}}`)
	h := http.Header{}
	h.Set("x-zm-request-timestamp", "1700000000")
	h.Set("x-zm-signature", "v0=cce02a4a19a8aeb45bf0a04a1901691dc195e71dd7002ce679becd6f1dacf642")
	v := mustNew(t, Config{Scheme: SchemeZoom, Secrets: []Secret{"1BMbAGMlQ9aZ3XqXgV7cXg"}})
	at := time.Unix(1700000000, 0)
	assertReason(t, v.Verify(h, body, at), "")
	assertReason(t, v.Verify(h, body, at.Add(6*time.Minute)), ReasonExpired)
	if got := zoomSign("1BMbAGMlQ9aZ3XqXgV7cXg", at, body).Get("x-zm-signature"); got != h.Get("x-zm-signature") {
		t.Errorf("zoomSign = %s, want %s", got, h.Get("x-zm-signature"))
	}
	// Zoom sends seconds: milliseconds read as seconds are far in the
	// future, so expired.
	h.Set("x-zm-request-timestamp", "1700000000000")
	assertReason(t, v.Verify(h, body, at), ReasonExpired)
}

func TestZoom(t *testing.T) {
	testProviderScheme(t, SchemeZoom, zoomSign, "X-Zm-Signature", "X-Zm-Request-Timestamp")
	if got := mustNew(t, Config{Scheme: SchemeZoom, Secrets: []Secret{"s"}}).DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
}

func FuzzZoomHeaders(f *testing.F) {
	body := []byte(`{"event":"meeting.started"}`)
	good := zoomSign("s", time.Unix(1_700_000_000, 0), body)
	f.Add(good.Get("x-zm-signature"), good.Get("x-zm-request-timestamp"))
	f.Add("v0=", "")
	f.Add("v0=zz", "17e8")
	v, err := New(Config{Scheme: SchemeZoom, Secrets: []Secret{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string) {
		h := http.Header{}
		h.Set("x-zm-signature", sig)
		h.Set("x-zm-request-timestamp", ts)
		if err := v.Verify(h, body, time.Unix(1_700_000_000, 0)); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
