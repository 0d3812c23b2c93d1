package signature

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The vectors every official Standard Webhooks library tests its Sign
// against (libraries/*/ tests in github.com/standard-webhooks/standard-webhooks).
var standardWebhooksVectors = []struct {
	name, secret, id string
	timestamp        int64
	body, signature  string
}{
	{"go, javascript, python, php, ruby, java, csharp suites", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		1614265330, `{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	{"rust suite", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
		1649367553, `{"email":"test@example.com","username":"test_user"}`, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="},
}

func TestStandardWebhooksPublishedVectors(t *testing.T) {
	for _, vec := range standardWebhooksVectors {
		t.Run(vec.name, func(t *testing.T) {
			at := time.Unix(vec.timestamp, 0)
			v := mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{Secret(vec.secret)}})
			h := swHeaders(vec.id, at, vec.signature)
			assertReason(t, v.Verify(h, []byte(vec.body), at), "")
			assertReason(t, v.Verify(h, []byte(vec.body+" "), at), ReasonMismatch)
			// The prefix is optional, as in the official libraries.
			v = mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{Secret(strings.TrimPrefix(vec.secret, "whsec_"))}})
			assertReason(t, v.Verify(h, []byte(vec.body), at), "")
		})
	}
}

func swHeaders(id string, at time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

// swSign signs with the official Go library.
func swSign(t testing.TB, secret, id string, at time.Time, body []byte) string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestStandardWebhooks(t *testing.T) {
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	whsec := func(key string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key)) }
	current, old, other := whsec("current-key-of-at-least-24-bytes"), whsec("old-key-still-active-for-a-while"), whsec("someone-else's-key-of-24-bytes!!")
	body := []byte(`{"type":"contact.created","data":{"id":"1f81eb52"}}`)
	now := time.Unix(1_700_000_000, 0)
	v := mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{Secret(current), Secret(old)}})
	sign := func(secret string, at time.Time) string { return swSign(t, secret, id, at, body) }
	good := sign(current, now)
	tests := []struct {
		name    string
		id      string
		ts      string
		sig     string
		body    []byte
		want    Reason // "" = accepted
		wantHdr string
	}{
		{"current secret", id, "1700000000", good, body, "", ""},
		{"rotated-out secret still active", id, "1700000000", sign(old, now), body, "", ""},
		{"signed with both during the provider's rotation", id, "1700000000", sign(other, now) + " " + sign(old, now), body, "", ""},
		{"v1a and unknown versions skipped", id, "1700000000", "v1a,AAAA v2,xyz " + good, body, "", ""},
		{"extra spaces", id, "1700000000", "  " + good + "   ", body, "", ""},
		{"just within tolerance, past", id, "1699999700", sign(current, now.Add(-5*time.Minute)), body, "", ""},
		{"just within tolerance, future", id, "1700000300", sign(current, now.Add(5*time.Minute)), body, "", ""},
		{"unknown secret", id, "1700000000", sign(other, now), body, ReasonMismatch, "Webhook-Signature"},
		{"body changed", id, "1700000000", good, append([]byte(" "), body...), ReasonMismatch, "Webhook-Signature"},
		{"id changed", "msg_other", "1700000000", good, body, ReasonMismatch, "Webhook-Signature"},
		{"timestamp changed", id, "1700000001", good, body, ReasonMismatch, "Webhook-Signature"},
		{"too old", id, "1699999699", sign(current, now.Add(-5*time.Minute-time.Second)), body, ReasonExpired, "Webhook-Timestamp"},
		{"from the future", id, "1700000301", sign(current, now.Add(5*time.Minute+time.Second)), body, ReasonExpired, "Webhook-Timestamp"},
		{"no signature", id, "1700000000", "", body, ReasonMissing, "Webhook-Signature"},
		{"no id", "", "1700000000", good, body, ReasonMissing, "Webhook-Id"},
		{"no timestamp", id, "", good, body, ReasonMissing, "Webhook-Timestamp"},
		{"id with a dot", "msg.1", "1700000000", good, body, ReasonMalformed, "Webhook-Id"},
		{"timestamp not a number", id, "17e8", good, body, ReasonMalformed, "Webhook-Timestamp"},
		{"signed timestamp", id, "+1700000000", good, body, ReasonMalformed, "Webhook-Timestamp"},
		{"timestamp in milliseconds is far in the future", id, "1700000000000", good, body, ReasonExpired, "Webhook-Timestamp"},
		{"only v1a", id, "1700000000", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==", body, ReasonMalformed, "Webhook-Signature"},
		{"v1 without comma", id, "1700000000", "v1" + strings.TrimPrefix(good, "v1,"), body, ReasonMalformed, "Webhook-Signature"},
		{"v1 not base64", id, "1700000000", "v1,****", body, ReasonMalformed, "Webhook-Signature"},
		{"v1 too short", id, "1700000000", "v1," + base64.StdEncoding.EncodeToString([]byte("short")), body, ReasonMalformed, "Webhook-Signature"},
		{"partial signature", id, "1700000000", good[:8], body, ReasonMalformed, "Webhook-Signature"},
		{"hex instead of base64", id, "1700000000", "v1," + strings.Repeat("ab", 32), body, ReasonMalformed, "Webhook-Signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, val := range map[string]string{"webhook-id": tc.id, "webhook-timestamp": tc.ts, "webhook-signature": tc.sig} {
				if val != "" {
					h.Set(k, val)
				}
			}
			err := v.Verify(h, tc.body, now)
			assertReason(t, err, tc.want)
			if tc.want != "" && err.(*Error).Header != tc.wantHdr {
				t.Errorf("header = %q, want %q", err.(*Error).Header, tc.wantHdr)
			}
		})
	}
	if got := v.DeliveryHeader(); got != "Webhook-Id" || got != http.CanonicalHeaderKey("webhook-id") {
		t.Errorf("DeliveryHeader = %q", got)
	}
}

// TestStandardWebhooksAgreesWithTheOfficialLibrary checks both ways: what
// the library signs we accept, and what we accept the library accepts.
func TestStandardWebhooksAgreesWithTheOfficialLibrary(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	now := time.Now()
	v := mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{secret}})
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"msg_p5jXN8AQM9LWM0D4loKWxJek", "01J9ZQ3K8V6X", "a b", "ü"} {
		sig := swSign(t, secret, id, now, body)
		h := swHeaders(id, now, sig)
		assertReason(t, v.Verify(h, body, now), "")
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("library rejects %q: %v", id, err)
		}
		// A MAC the library rejects, we reject.
		h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
		if wh.Verify(body, h) == nil {
			t.Fatal("library accepts a wrong signature")
		}
		assertReason(t, v.Verify(h, body, now), ReasonMismatch)
	}
	// Outside the library's tolerance, both refuse.
	old := now.Add(-DefaultTolerance - time.Minute)
	h := swHeaders("msg_1", old, swSign(t, secret, "msg_1", old, body))
	if wh.Verify(body, h) == nil {
		t.Fatal("library accepts an old timestamp")
	}
	assertReason(t, v.Verify(h, body, now), ReasonExpired)
}

func TestStandardWebhooksTolerance(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{}`)
	now := time.Unix(1_700_000_000, 0)
	v := mustNew(t, Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{secret}, Tolerance: 30 * time.Second})
	for _, tc := range []struct {
		offset time.Duration
		want   Reason
	}{{-30 * time.Second, ""}, {30 * time.Second, ""}, {-31 * time.Second, ReasonExpired}, {31 * time.Second, ReasonExpired}} {
		at := now.Add(tc.offset)
		assertReason(t, v.Verify(swHeaders("msg_1", at, swSign(t, secret, "msg_1", at, body)), body, now), tc.want)
	}
}

func FuzzStandardWebhooksHeaders(f *testing.F) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1_614_265_330, 0)
	body := []byte(`{"test": 2432232314}`)
	good := swSign(f, secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", now, body)
	for _, s := range [][3]string{
		{"msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", good + " v1a,AAAA"},
		{"msg_p5jXN8AQM9LWM0D4loKWxJek", "01614265330", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="},
		{"msg.1", "1614265330", "v1,=,v1"},
		{"", "", ""},
		{"x", "99999999999999999999", "v1, v1,, ,,"},
		{"x", "-1", "v1,====" + strings.Repeat(" v1,AAAA", 10)},
	} {
		f.Add(s[0], s[1], s[2], []byte(`{"test": 2432232315}`))
	}
	v, err := New(Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{secret}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, b []byte) {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		err := v.Verify(h, b, now)
		if at, _ := parseUnix(ts); err == nil && (id != "msg_p5jXN8AQM9LWM0D4loKWxJek" || !at.Equal(now) || string(b) != string(body)) {
			t.Fatalf("accepted a forged delivery: id %q ts %q sig %q body %q", id, ts, sig, b)
		}
		if err != nil && !isRejection(err) {
			t.Fatalf("not a rejection: %v", err)
		}
	})
}

func BenchmarkStandardWebhooksVerify(b *testing.B) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(strings.Repeat(`{"k":"v"},`, 200))
	now := time.Now()
	v, _ := New(Config{Scheme: SchemeStandardWebhooks, Secrets: []Secret{secret}})
	h := swHeaders("msg_p5jXN8AQM9LWM0D4loKWxJek", now, swSign(b, secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", now, body))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
