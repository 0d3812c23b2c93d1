package deadletter

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Headers of a dead-letter message.
const (
	HeaderReason      = "Bridge-Reason"       // the Reason
	HeaderError       = "Bridge-Error"        // the error text, at most MaxErrorLen bytes
	HeaderMappingFile = "Bridge-Mapping-File" // the mapping file, when one was found
	HeaderRule        = "Bridge-Rule"         // the rule name, when a rule matched
	HeaderProvider    = "Bridge-Provider"
	HeaderIngest      = "Bridge-Ingest"      // webhook, nats, events
	HeaderReceivedAt  = "Bridge-Received-At" // RFC 3339 with nanoseconds, UTC
	HeaderQuery       = "Bridge-Query"       // a webhook's query, URL-encoded, credentials left out

	// HeaderOrigPrefix prefixes each original header kept on a dead letter:
	// X-Request-Id becomes Bridge-Orig-X-Request-Id, with all its values.
	HeaderOrigPrefix = "Bridge-Orig-"
)

// Limits on dead-letter header values.
const (
	MaxErrorLen       = 1024     // bytes of Bridge-Error; longer text is cut
	MaxHeaderValueLen = 4 * 1024 // bytes of any other header value
)

// SensitiveHeader reports whether a header (case-insensitive) carries a
// credential and must never be stored or shown: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, and any name containing "token",
// "secret", "password", "api-key", "api_key", "apikey" or "signature"
// (Stripe-Signature, X-Hub-Signature-256, Webhook-Signature). A signature
// is a MAC over the body rather than the key, but kept with the body it is
// a replayable delivery and a known plaintext for the provider's secret;
// nothing after the check needs it.
//
// The exception is a delivery id whose name happens to hold a word of the
// list: I-Twilio-Idempotency-Token is the same on every retry of a Twilio
// delivery, a key rather than a credential, and the twilio scheme's
// default idempotency key (dropped, the key fell back to the body's digest).
func SensitiveHeader(name string) bool {
	// Every door asks this of every header of every delivery
	// (transform.NewInput): compared case-insensitively in place, without
	// lower-casing a copy.
	if strings.EqualFold(name, "I-Twilio-Idempotency-Token") {
		return false
	}
	for _, s := range [...]string{"authorization", "proxy-authorization", "cookie", "set-cookie"} {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	for _, s := range [...]string{"token", "secret", "password", "api-key", "api_key", "apikey", "signature"} {
		if containsFold(name, s) {
			return true
		}
	}
	return false
}

// SensitiveQuery reports whether a query parameter (case-insensitive)
// carries a credential: any name SensitiveHeader would drop as a header,
// and the common URL credentials besides: Azure's sig and code, key, auth,
// pass, pwd, jwt, session, and names holding credential, access_key, hmac
// or private (X-Amz-Credential).
func SensitiveQuery(name string) bool {
	if SensitiveHeader(name) {
		return true
	}
	for _, s := range [...]string{"sig", "code", "key", "auth", "pass", "passwd", "pwd", "jwt", "session", "sessionid", "sid"} {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	for _, s := range [...]string{"credential", "access_key", "accesskey", "hmac", "private"} {
		if containsFold(name, s) {
			return true
		}
	}
	return false
}

// safeQuery is q without its credentials (SensitiveQuery), URL-encoded.
func safeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	out := url.Values{}
	for k, v := range q {
		if !SensitiveQuery(k) && len(v) > 0 {
			out[k] = v
		}
	}
	return out.Encode()
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// in any case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// sanitizeValue makes v safe as a NATS header value: CR, LF and other
// control characters become spaces, invalid UTF-8 is replaced, and the
// result is cut to at most limit bytes on a rune boundary.
func sanitizeValue(v string, limit int) string {
	clean := func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}
	v = strings.Map(clean, strings.ToValidUTF8(v, "\uFFFD"))
	if len(v) <= limit {
		return v
	}
	const ellipsis = "..."
	cut := max(limit-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + ellipsis
}

// validHeaderName reports whether name can be a NATS header name: printable
// ASCII without ':' or spaces.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// subjectToken turns s into one valid subject token: characters other than
// letters, digits, '-' and '_' become '_'; empty becomes "unknown".
func subjectToken(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
