package signature

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	bearer := mustNew(t, Config{Scheme: SchemeToken, Secrets: []Secret{"tok-new", "tok-old"}})
	gitlab := mustNew(t, Config{Scheme: SchemeToken, Secrets: []Secret{"tok-new", "tok-old"},
		Settings: map[string]string{"header": "x-gitlab-token", "delivery_header": "X-Gitlab-Event-UUID"}})
	custom := mustNew(t, Config{Scheme: SchemeToken, Secrets: []Secret{"tok-new"},
		Settings: map[string]string{"header": "Authorization", "prefix": "Token "}})
	noPrefix := mustNew(t, Config{Scheme: SchemeToken, Secrets: []Secret{"tok-new"},
		Settings: map[string]string{"prefix": ""}})
	tests := []struct {
		name   string
		v      Verifier
		header string
		value  string
		want   Reason
	}{
		{"bearer, current", bearer, "Authorization", "Bearer tok-new", ""},
		{"bearer, rotated-out", bearer, "Authorization", "Bearer tok-old", ""},
		{"bearer, scheme name in any case", bearer, "Authorization", "bearer tok-new", ""},
		{"bearer, wrong token", bearer, "Authorization", "Bearer tok-other", ReasonMismatch},
		{"bearer, token's prefix only", bearer, "Authorization", "Bearer tok-ne", ReasonMismatch},
		{"bearer, token with more", bearer, "Authorization", "Bearer tok-new2", ReasonMismatch},
		{"bearer, case matters in the token", bearer, "Authorization", "Bearer TOK-NEW", ReasonMismatch},
		{"bearer, missing", bearer, "", "", ReasonMissing},
		{"bearer, other scheme", bearer, "Authorization", "Basic dG9rLW5ldw==", ReasonMalformed},
		{"bearer, no token", bearer, "Authorization", "Bearer ", ReasonMalformed},
		{"bearer, bare token", bearer, "Authorization", "tok-new", ReasonMalformed},
		{"gitlab, current", gitlab, "X-Gitlab-Token", "tok-new", ""},
		{"gitlab, rotated-out", gitlab, "X-Gitlab-Token", "tok-old", ""},
		{"gitlab, Bearer is not expected", gitlab, "X-Gitlab-Token", "Bearer tok-new", ReasonMismatch},
		{"gitlab, token in Authorization instead", gitlab, "Authorization", "Bearer tok-new", ReasonMissing},
		{"custom prefix", custom, "Authorization", "Token tok-new", ""},
		{"custom prefix, Bearer given", custom, "Authorization", "Bearer tok-new", ReasonMalformed},
		{"prefix set to empty", noPrefix, "Authorization", "tok-new", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set(tc.header, tc.value)
			}
			assertReason(t, tc.v.Verify(h, []byte("{}"), time.Time{}), tc.want)
		})
	}
	if got := gitlab.DeliveryHeader(); got != "X-Gitlab-Event-Uuid" {
		t.Errorf("DeliveryHeader = %q, want the canonical X-Gitlab-Event-Uuid", got)
	}
	if got := bearer.DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
}

func FuzzTokenHeader(f *testing.F) {
	for _, s := range []string{"Bearer ", "Bearer tok", "bearer  tok-secret", "Basic x", "", strings.Repeat("Bearer ", 20)} {
		f.Add(s)
	}
	v, err := New(Config{Scheme: SchemeToken, Secrets: []Secret{"tok-secret-value"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		err := v.Verify(http.Header{"Authorization": {value}}, nil, time.Time{})
		if err == nil && !(len(value) > 7 && strings.EqualFold(value[:7], "Bearer ") && value[7:] == "tok-secret-value") {
			t.Fatalf("accepted a forged header %q", value)
		}
		if err != nil && !isRejection(err) {
			t.Fatalf("not a rejection: %v", err)
		}
	})
}

func BenchmarkTokenVerify(b *testing.B) {
	v, _ := New(Config{Scheme: SchemeToken, Secrets: []Secret{"tok-new", "tok-old"}})
	h := http.Header{"Authorization": {"Bearer tok-old"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCredentialHeaders(t *testing.T) {
	tok, err := New(Config{Scheme: SchemeToken, Secrets: []Secret{"t"}, Settings: map[string]string{"header": "X-Gitlab-Token"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := CredentialHeaders(tok); len(got) != 1 || got[0] != "X-Gitlab-Token" {
		t.Errorf("token: %v", got)
	}
	// A provider's MAC is stripped too (attack of 2026-12-06: Shopify's
	// header, whose name says no "signature", reached mappings and dead
	// letters: a replayable delivery and a known plaintext).
	for scheme, want := range map[string]string{SchemeShopify: "X-Shopify-Hmac-Sha256", SchemeSlack: "X-Slack-Signature"} {
		v, err := New(Config{Scheme: scheme, Secrets: []Secret{"s"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := CredentialHeaders(v); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %v, want [%s]", scheme, got, want)
		}
	}
}
