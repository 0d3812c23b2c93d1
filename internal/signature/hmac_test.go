package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHMACPublishedVectors: RFC 4231 test case 2 for each algorithm and
// encoding, and GitHub's documented example configured as a generic hmac.
func TestHMACPublishedVectors(t *testing.T) {
	const (
		rfcKey   = "Jefe"
		rfcData  = "what do ya want for nothing?"
		rfc256   = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
		rfc512   = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
		ghSecret = "It's a Secret to Everybody"
		ghBody   = "Hello, World!"
		ghSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	b64 := func(h string) string { b, _ := hex.DecodeString(h); return base64.StdEncoding.EncodeToString(b) }
	tests := []struct {
		name     string
		settings map[string]string
		secret   string
		body     string
		header   string
	}{
		{"rfc 4231 sha256 hex", map[string]string{"header": "X-Sig"}, rfcKey, rfcData, rfc256},
		{"rfc 4231 sha256 upper-case hex", map[string]string{"header": "X-Sig"}, rfcKey, rfcData, strings.ToUpper(rfc256)},
		{"rfc 4231 sha512 hex", map[string]string{"header": "X-Sig", "algorithm": "sha512"}, rfcKey, rfcData, rfc512},
		{"rfc 4231 sha256 base64", map[string]string{"header": "X-Sig", "encoding": "base64"}, rfcKey, rfcData, b64(rfc256)},
		{"rfc 4231 sha512 base64", map[string]string{"header": "X-Sig", "algorithm": "sha512", "encoding": "base64"}, rfcKey, rfcData, b64(rfc512)},
		{"github's documented example", map[string]string{"header": "X-Hub-Signature-256", "prefix": "sha256="}, ghSecret, ghBody, ghSig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{Secret(tc.secret)}, Settings: tc.settings})
			h := http.Header{}
			h.Set(tc.settings["header"], tc.header)
			assertReason(t, v.Verify(h, []byte(tc.body), time.Now()), "")
			assertReason(t, v.Verify(h, []byte(tc.body+"."), time.Now()), ReasonMismatch)
		})
	}
}

func hmacSign(newHash func() hash.Hash, secret string, parts ...string) []byte {
	m := hmac.New(newHash, []byte(secret))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func TestHMACBody(t *testing.T) {
	body := `{"id":"dlv_1","kind":"order.paid"}`
	now := time.Unix(1_700_000_000, 0)
	v := mustNew(t, Config{Scheme: SchemeHMAC, Secrets: []Secret{"new-secret", "old-secret"},
		Settings: map[string]string{"header": "x-shop-hmac-sha512", "algorithm": "sha512", "encoding": "base64", "prefix": "v1=", "delivery_header": "x-shop-delivery"}})
	sig := func(secret, body string) string {
		return "v1=" + base64.StdEncoding.EncodeToString(hmacSign(sha512.New, secret, body))
	}
	tests := []struct {
		name   string
		header string
		body   string
		want   Reason
	}{
		{"current secret", sig("new-secret", body), body, ""},
		{"rotated-out secret still active", sig("old-secret", body), body, ""},
		{"no timestamp needed, however old", sig("new-secret", body), body, ""},
		{"unknown secret", sig("other", body), body, ReasonMismatch},
		{"body changed", sig("new-secret", body), body + "\n", ReasonMismatch},
		{"sha256 instead of sha512", "v1=" + base64.StdEncoding.EncodeToString(hmacSign(sha256.New, "new-secret", body)), body, ReasonMalformed},
		{"missing", "", body, ReasonMissing},
		{"no prefix", strings.TrimPrefix(sig("new-secret", body), "v1="), body, ReasonMalformed},
		{"prefix only", "v1=", body, ReasonMalformed},
		{"hex instead of base64", "v1=" + hex.EncodeToString(hmacSign(sha512.New, "new-secret", body)), body, ReasonMalformed},
		{"unpadded base64", strings.TrimRight(sig("new-secret", body), "="), body, ReasonMalformed},
		{"two signatures", sig("new-secret", body) + "," + sig("new-secret", body), body, ReasonMalformed},
		{"huge", "v1=" + strings.Repeat("A", 5000), body, ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Shop-Hmac-Sha512", tc.header)
			}
			assertReason(t, v.Verify(h, []byte(tc.body), now), tc.want)
		})
	}
	if got := v.DeliveryHeader(); got != "X-Shop-Delivery" {
		t.Errorf("DeliveryHeader = %q, want the canonical X-Shop-Delivery", got)
	}
}

func TestHMACTimestampAndBody(t *testing.T) {
	body := `{"event":"ping"}`
	now := time.Unix(1_700_000_000, 0)
	nowRFC := now.UTC().Format(time.RFC3339)
	cfg := func(sep string, extra ...string) Config {
		s := map[string]string{"header": "X-Signature", "signed": "timestamp+body", "timestamp_header": "X-Timestamp"}
		if sep != "-" {
			s["separator"] = sep
		}
		for i := 0; i+1 < len(extra); i += 2 {
			s[extra[i]] = extra[i+1]
		}
		return Config{Scheme: SchemeHMAC, Secrets: []Secret{"current", "previous"}, Settings: s}
	}
	sig := func(secret, ts, sep, body string) string {
		return hex.EncodeToString(hmacSign(sha256.New, secret, ts, sep, body))
	}
	tests := []struct {
		name     string
		cfg      Config
		ts, sig  string
		body     string
		want     Reason
		wantHead string
	}{
		{"default separator is a dot", cfg("-"), "1700000000", sig("current", "1700000000", ".", body), body, "", ""},
		{"rotated-out secret", cfg("-"), "1700000000", sig("previous", "1700000000", ".", body), body, "", ""},
		{"custom separator", cfg("|"), "1700000000", sig("current", "1700000000", "|", body), body, "", ""},
		{"no separator (Zendesk-like, RFC 3339 timestamp)", cfg("", "encoding", "base64"), nowRFC,
			base64.StdEncoding.EncodeToString(hmacSign(sha256.New, "current", nowRFC, body)), body, "", ""},
		{"within tolerance, past", cfg("-"), "1699999700", sig("current", "1699999700", ".", body), body, "", ""},
		{"within tolerance, future", cfg("-"), "1700000300", sig("current", "1700000300", ".", body), body, "", ""},
		{"too old", cfg("-"), "1699999699", sig("current", "1699999699", ".", body), body, ReasonExpired, "X-Timestamp"},
		{"from the future", cfg("-"), "1700000301", sig("current", "1700000301", ".", body), body, ReasonExpired, "X-Timestamp"},
		{"tighter tolerance", func() Config { c := cfg("-"); c.Tolerance = time.Minute; return c }(), "1699999939", sig("current", "1699999939", ".", body), body, ReasonExpired, "X-Timestamp"},
		{"timestamp replaced", cfg("-"), "1700000001", sig("current", "1700000000", ".", body), body, ReasonMismatch, "X-Signature"},
		{"wrong separator", cfg("-"), "1700000000", sig("current", "1700000000", ":", body), body, ReasonMismatch, "X-Signature"},
		{"body only signed", cfg("-"), "1700000000", sig("current", "", "", body), body, ReasonMismatch, "X-Signature"},
		{"timestamp missing", cfg("-"), "", sig("current", "1700000000", ".", body), body, ReasonMissing, "X-Timestamp"},
		{"signature missing", cfg("-"), "1700000000", "", body, ReasonMissing, "X-Signature"},
		{"timestamp with a sign", cfg("-"), "+1700000000", sig("current", "+1700000000", ".", body), body, ReasonMalformed, "X-Timestamp"},
		{"timestamp with a fraction", cfg("-"), "1700000000.5", sig("current", "1700000000.5", ".", body), body, ReasonMalformed, "X-Timestamp"},
		{"timestamp as a date only", cfg("-"), "2023-11-14", sig("current", "2023-11-14", ".", body), body, ReasonMalformed, "X-Timestamp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, tc.cfg)
			h := http.Header{}
			if tc.ts != "" {
				h.Set("x-timestamp", tc.ts)
			}
			if tc.sig != "" {
				h.Set("x-signature", tc.sig)
			}
			err := v.Verify(h, []byte(tc.body), now)
			assertReason(t, err, tc.want)
			if tc.want != "" && err.(*Error).Header != tc.wantHead {
				t.Errorf("header = %q, want %q", err.(*Error).Header, tc.wantHead)
			}
		})
	}
}

func FuzzHMACHeaders(f *testing.F) {
	const secret = "fuzz-secret"
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"a":1}`)
	good := "sha256=" + hex.EncodeToString(hmacSign(sha256.New, secret, "1700000000", ".", string(body)))
	for _, s := range [][2]string{
		{good, "1700000000"},
		{good, "2023-11-14T22:13:20Z"},
		{"sha256=" + strings.Repeat("0", 64), "1700000000"},
		{"sha256=", ""},
		{"SHA256=zz", "-1"},
		{"sha256=" + strings.Repeat("g", 64), "99999999999999999999"},
	} {
		f.Add(s[0], s[1], []byte(`{"a":2}`))
	}
	v, err := New(Config{Scheme: SchemeHMAC, Secrets: []Secret{secret}, Settings: map[string]string{
		"header": "X-Sig", "prefix": "sha256=", "signed": "timestamp+body", "timestamp_header": "X-Ts"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string, b []byte) {
		err := v.Verify(http.Header{"X-Sig": {sig}, "X-Ts": {ts}}, b, now)
		if err == nil && (ts != "1700000000" || string(b) != string(body)) {
			t.Fatalf("accepted a forged delivery: sig %q ts %q body %q", sig, ts, b)
		}
		if err != nil && !isRejection(err) {
			t.Fatalf("not a rejection: %v", err)
		}
	})
}

func BenchmarkHMACVerify(b *testing.B) {
	body := []byte(strings.Repeat(`{"k":"v"},`, 200))
	now := time.Now()
	ts := now.Format(time.RFC3339)
	v, _ := New(Config{Scheme: SchemeHMAC, Secrets: []Secret{"bench-secret"}, Settings: map[string]string{
		"header": "X-Sig", "prefix": "sha256=", "signed": "timestamp+body", "timestamp_header": "X-Ts"}})
	h := http.Header{"X-Sig": {"sha256=" + hex.EncodeToString(hmacSign(sha256.New, "bench-secret", ts, ".", string(body)))}, "X-Ts": {ts}}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHMACTimestampHeaderIsNotTheMACHeader: a set-up whose timestamp
// header is the MAC's header can never verify a delivery: refused at load,
// naming the setting.
func TestHMACTimestampHeaderIsNotTheMACHeader(t *testing.T) {
	_, err := New(Config{Scheme: SchemeHMAC, Secrets: []Secret{"s"}, Settings: map[string]string{
		"header": "X-Signature", "signed": "timestamp+body", "timestamp_header": "x-signature"}})
	if err == nil || !strings.Contains(err.Error(), "timestamp_header") || !strings.Contains(err.Error(), "one header cannot carry both") {
		t.Errorf("New = %v, want the timestamp_header refused", err)
	}
}
