package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A malformed hmac signature is answered with the form the scheme wants:
// the prefix, if any, and how many characters of which encoding.
func TestHMACMalformedSaysWhatItWants(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"sha256 hex", map[string]string{"header": "X-Sig"}, "want 64 hex digits"},
		{"sha512 hex", map[string]string{"header": "X-Sig", "algorithm": "sha512"}, "want 128 hex digits"},
		{"sha256 base64", map[string]string{"header": "X-Sig", "encoding": "base64"}, "want 44 base64 characters"},
		{"prefixed", map[string]string{"header": "X-Sig", "prefix": "sha256="}, `want "sha256=" and 64 hex digits`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{"s3cret"}, Settings: tc.settings})
			h := http.Header{}
			h.Set("X-Sig", "zz")
			err := v.Verify(h, []byte("{}"), time.Now())
			var se *Error
			if !errors.As(err, &se) || se.Reason != ReasonMalformed {
				t.Fatalf("Verify = %v, want a %s rejection", err, ReasonMalformed)
			}
			if se.Detail != tc.want {
				t.Errorf("detail = %q, want %q", se.Detail, tc.want)
			}
		})
	}
}

// A signature header of exactly hmacMaxSignatureSz characters is decoded;
// one character more is malformed without decoding.
func TestHMACSignatureSizeLimit(t *testing.T) {
	const secret, body = "s3cret", `{"a":1}`
	sig := hex.EncodeToString(hmacSign(sha256.New, secret, body))
	for _, tc := range []struct {
		extra int
		want  Reason
	}{{0, ""}, {1, ReasonMalformed}} {
		prefix := strings.Repeat("p", hmacMaxSignatureSz-len(sig)+tc.extra)
		v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{secret}, Settings: map[string]string{"header": "X-Sig", "prefix": prefix}})
		h := http.Header{}
		h.Set("X-Sig", prefix+sig)
		assertReason(t, v.Verify(h, []byte(body), time.Now()), tc.want)
	}
}

// Header names are RFC 9110 tokens: letters, digits and the token
// punctuation, the bounds of each range included.
func TestValidHeaderName(t *testing.T) {
	for _, ok := range []string{"a", "z", "A", "Z", "0", "9", "X-Sig", "!", "~", "|", "`", "^", "_", "#$%&'*+-."} {
		if !validHeaderName(ok) {
			t.Errorf("validHeaderName(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{"", "@", "[", "/", ":", "{", "X Sig", "X:Sig", "\"", "(", ",", "\x7f", "é"} {
		if validHeaderName(bad) {
			t.Errorf("validHeaderName(%q) = true, want false", bad)
		}
	}
}

// parseUnix takes up to 18 digits (every such number fits an int64) and no
// more.
func TestParseUnixLength(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0", true},
		{"1700000000", true},
		{strings.Repeat("9", 18), true},
		{strings.Repeat("9", 19), false},
		{"", false},
		{"-1", false},
		{"1.5", false},
		{"12a", false},
		{"/", false},
		{":", false},
	} {
		if _, ok := parseUnix(tc.in); ok != tc.want {
			t.Errorf("parseUnix(%q) ok = %v, want %v", tc.in, ok, tc.want)
		}
	}
}

// A Stripe timestamp exactly the tolerance away, either way, is fresh; a
// second more is expired.
func TestStripeToleranceBounds(t *testing.T) {
	const secret = "whsec_x"
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_700_000_000, 0)
	v := mustNew(t, Config{Scheme: SchemeStripe, Secrets: []Secret{secret}, Tolerance: time.Minute})
	for _, tc := range []struct {
		at   time.Time
		want Reason
	}{
		{now.Add(-time.Minute), ""},
		{now.Add(time.Minute), ""},
		{now.Add(-time.Minute - time.Second), ReasonExpired},
		{now.Add(time.Minute + time.Second), ReasonExpired},
	} {
		ts := strconv.FormatInt(tc.at.Unix(), 10)
		sig := hex.EncodeToString(hmacSign(sha256.New, secret, ts, ".", string(body)))
		h := http.Header{"Stripe-Signature": {"t=" + ts + ",v1=" + sig}}
		assertReason(t, v.Verify(h, body, now), tc.want)
	}
}

// A webhook-id that starts with a dot is refused like any id with a dot,
// even correctly signed.
func TestStandardWebhooksIDWithLeadingDot(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"a":1}`)
	now := time.Now()
	v := mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{secret}})
	for _, id := range []string{".msg_1", "msg.1", "msg_1."} {
		err := v.Verify(swHeaders(id, now, swSign(t, secret, id, now, body)), body, now)
		var se *Error
		if !errors.As(err, &se) || se.Reason != ReasonMalformed || se.Header != "Webhook-Id" {
			t.Errorf("id %q: Verify = %v, want malformed Webhook-Id", id, err)
		}
	}
	assertReason(t, v.Verify(swHeaders("msg_1", now, swSign(t, secret, "msg_1", now, body)), body, now), "")
}

// A token scheme with a prefix says which prefix it wants.
func TestTokenMalformedSaysWhatItWants(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]string
		header   string
		value    string
		want     string
	}{
		{nil, "Authorization", "Basic abc", "want Bearer and a token"},
		{nil, "Authorization", "Bearer ", "want Bearer and a token"},
		{map[string]string{"header": "X-Token", "prefix": "Token "}, "X-Token", "abc", "want Token and a token"},
	} {
		v := mustNew(t, Config{Scheme: SchemeToken, Secrets: []Secret{"t0ken"}, Settings: tc.settings})
		h := http.Header{}
		h.Set(tc.header, tc.value)
		err := v.Verify(h, nil, time.Now())
		var se *Error
		if !errors.As(err, &se) || se.Reason != ReasonMalformed || se.Detail != tc.want {
			t.Errorf("%s: %q: Verify = %v, want malformed %q", tc.header, tc.value, err, tc.want)
		}
	}
}
