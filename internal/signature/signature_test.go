package signature

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
)

func mustNew(t *testing.T, cfg Config) Verifier {
	t.Helper()
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Scheme, err)
	}
	return v
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"unknown scheme", Config{Scheme: "hmac-md5"}, []string{`unknown signature scheme "hmac-md5"`}},
		{"empty scheme", Config{}, []string{`unknown signature scheme ""`}},
		{"stripe without secret", Config{Scheme: SchemeStripe}, []string{"scheme stripe needs at least one secret"}},
		{"empty secret and negative tolerance", Config{Scheme: SchemeGitHub, Secrets: []Secret{"a", ""}, Tolerance: -time.Second},
			[]string{"secret 2 is empty", "tolerance must not be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("whsec_very_secret")
	cfg := Config{Scheme: SchemeStripe, Secrets: []Secret{s}}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, s)} {
		if strings.Contains(out, "very_secret") {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestStripe(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"charge.succeeded"}`)
	now := time.Unix(1_700_000_000, 0)
	signed := func(secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
	}
	v := mustNew(t, Config{Scheme: SchemeStripe, Secrets: []Secret{"whsec_new", "whsec_old"}})
	tests := []struct {
		name   string
		header string
		body   []byte
		want   Reason // "" = accepted
	}{
		{"current secret", signed("whsec_new", now), body, ""},
		{"rotated-out secret still active", signed("whsec_old", now), body, ""},
		{"within tolerance", signed("whsec_new", now.Add(-4*time.Minute)), body, ""},
		{"several v1, one good", "t=1700000000,v1=" + strings.Repeat("00", 32) + "," + strings.TrimPrefix(signed("whsec_new", now), "t=1700000000,"), body, ""},
		{"unknown secret", signed("whsec_other", now), body, ReasonMismatch},
		{"body changed", signed("whsec_new", now), append([]byte(" "), body...), ReasonMismatch},
		{"too old", signed("whsec_new", now.Add(-6*time.Minute)), body, ReasonExpired},
		{"from the future", signed("whsec_new", now.Add(6*time.Minute)), body, ReasonExpired},
		{"missing", "", body, ReasonMissing},
		{"no timestamp", "v1=abc", body, ReasonMalformed},
		{"no v1", "t=1700000000,v0=abcd", body, ReasonMalformed},
		{"garbage", "t=x,,=,v1", body, ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Stripe-Signature", tc.header)
			}
			assertReason(t, v.Verify(h, tc.body, now), tc.want)
		})
	}
	// Cross-check with stripe-go's own verifier: what it accepts, we accept.
	hdr := signed("whsec_new", time.Now())
	if err := webhook.ValidatePayload(body, hdr, "whsec_new"); err != nil {
		t.Fatalf("stripe-go rejects its own signature: %v", err)
	}
	assertReason(t, v.Verify(http.Header{"Stripe-Signature": {hdr}}, body, time.Now()), "")
}

func TestGitHubPublishedVector(t *testing.T) {
	// The example in GitHub's "Validating webhook deliveries" documentation.
	v := mustNew(t, Config{Scheme: SchemeGitHub, Secrets: []Secret{"It's a Secret to Everybody"}})
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	assertReason(t, v.Verify(h, []byte("Hello, World!"), time.Now()), "")
	assertReason(t, v.Verify(h, []byte("Hello, World?"), time.Now()), ReasonMismatch)
	h.Set("X-Hub-Signature-256", "sha1=757107ea")
	assertReason(t, v.Verify(h, []byte("Hello, World!"), time.Now()), ReasonMalformed)
	assertReason(t, v.Verify(http.Header{}, []byte("Hello, World!"), time.Now()), ReasonMissing)
	if got := v.DeliveryHeader(); got != "X-Github-Delivery" {
		t.Errorf("DeliveryHeader = %q", got)
	}
}

func TestNoneAcceptsAnything(t *testing.T) {
	v := mustNew(t, Config{Scheme: SchemeNone})
	assertReason(t, v.Verify(http.Header{}, nil, time.Time{}), "")
}

func assertReason(t *testing.T, err error, want Reason) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("rejected: %v", err)
		}
		return
	}
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want a rejection %q", err, want)
	}
	if se.Reason != want {
		t.Fatalf("reason = %q (%v), want %q", se.Reason, err, want)
	}
}

func FuzzStripeHeader(f *testing.F) {
	for _, s := range []string{"t=1,v1=00", "t=1700000000,v1=" + strings.Repeat("ab", 32), ",,,", "t==,v1==", "v1=zz"} {
		f.Add(s, []byte("{}"))
	}
	v, _ := New(Config{Scheme: SchemeStripe, Secrets: []Secret{"whsec_x"}})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if err := v.Verify(http.Header{"Stripe-Signature": {header}}, body, time.Unix(1_700_000_000, 0)); err == nil {
			t.Fatalf("accepted a forged header %q", header)
		}
	})
}

func BenchmarkStripeVerify(b *testing.B) {
	body := []byte(strings.Repeat(`{"k":"v"},`, 200))
	now := time.Now()
	v, _ := New(Config{Scheme: SchemeStripe, Secrets: []Secret{"whsec_x"}})
	h := http.Header{"Stripe-Signature": {webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_x", Timestamp: now}).Header}}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
