package deadletter

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSensitiveHeader(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"X-Gitlab-Token", true},
		{"X-Webhook-Secret", true},
		{"X-Api-Key", true},
		{"X-API_KEY", true},
		{"Apikey", true},
		{"X-Password", true},
		{"Stripe-Signature", true},
		{"stripe-signature", true},
		{"X-Hub-Signature-256", true},
		{"X-Hub-Signature", true},
		{"Webhook-Signature", true},
		{"Svix-Signature", true},
		{"X-Shopify-Hmac-Sha256", false}, // an hmac scheme's header need not say "signature": the name alone cannot tell
		{"Webhook-Id", false},
		{"Webhook-Timestamp", false},
		{"X-GitHub-Delivery", false},
		{"Stripe-Sig", false},
		{"Content-Type", false},
		{"X-Request-Id", false},
		{"Authorization-Hint", false},
		{"I-Twilio-Idempotency-Token", false}, // a delivery id, the twilio scheme's default key
		{"i-twilio-idempotency-token", false},
		{"X-Twilio-Idempotency-Token", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SensitiveHeader(tc.name); got != tc.want {
				t.Errorf("SensitiveHeader(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

func TestSanitizeValue(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{"plain", "hello", 10, "hello"},
		{"crlf", "a\r\nInjected: x", 100, "a  Injected: x"},
		{"controls", "a\x00b\x7fc\td", 100, "a b c\td"},
		{"invalid utf8", "a\xffb", 100, "a\uFFFDb"},
		{"cut", "abcdefghij", 8, "abcde..."},
		{"cut on rune", "ééééé", 8, "éé..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sanitizeValue(tc.in, tc.limit)
			if got != tc.want {
				t.Errorf("sanitizeValue(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			if len(got) > tc.limit || !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n") {
				t.Errorf("sanitizeValue(%q) = %q: too long, invalid UTF-8 or has CR/LF", tc.in, got)
			}
		})
	}
}

func TestSubjectToken(t *testing.T) {
	for in, want := range map[string]string{
		"stripe":    "stripe",
		"no_rule":   "no_rule",
		"":          "unknown",
		"a.b":       "a_b",
		"x*>y z":    "x__y_z",
		"Git-Hub_2": "Git-Hub_2",
	} {
		if got := subjectToken(in); got != want {
			t.Errorf("subjectToken(%q) = %q, want %q", in, got, want)
		}
	}
}
