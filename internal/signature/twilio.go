package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Twilio signs the full URL it calls, query included, followed by the
// form parameters of the body sorted by name, each name then value, with
// HMAC-SHA1 keyed with the account's Auth Token, and sends it base64 in
// X-Twilio-Signature. A JSON body is not in the signed content: its hex
// SHA-256 is in the URL's bodySHA256 query parameter instead
// (https://www.twilio.com/docs/usage/webhooks/webhooks-security). The URL is
// the url setting (the public URL given to Twilio, which the bridge cannot
// know from behind a proxy) with the request's query appended; as Twilio's
// libraries do, it is tried with and without the scheme's default port.
// I-Twilio-Idempotency-Token stays the same on every retry.
var twilioSettings = []string{"url"}

const (
	twilioSignature = "X-Twilio-Signature"
	twilioDelivery  = "I-Twilio-Idempotency-Token"
	twilioBodyHash  = "bodySHA256"
)

type twilio struct {
	keys [][]byte
	url  string
}

func newTwilio(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &twilio{url: publicURL(s, cfg.Scheme)}
	if strings.ContainsAny(v.url, "?#") {
		s.errf("url", "url %q must not hold a query or fragment: the query of each request is appended to it", v.url)
	}
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return v, s.errs
}

func (*twilio) DeliveryHeader() string { return twilioDelivery }

// Verify checks a delivery as if its URL had no query.
func (v *twilio) Verify(h http.Header, body []byte, now time.Time) error {
	return v.VerifyURL(&url.URL{}, h, body, now)
}

func (v *twilio) VerifyURL(u *url.URL, h http.Header, body []byte, _ time.Time) error {
	raw := h.Get(twilioSignature)
	if raw == "" {
		return &Error{ReasonMissing, twilioSignature, "header is missing"}
	}
	sig, err := base64.StdEncoding.DecodeString(raw)
	if len(raw) > hmacMaxSignatureSz || err != nil || len(sig) != sha1.Size {
		return &Error{ReasonMalformed, twilioSignature, "want 28 base64 characters"}
	}
	signedURL := v.url
	if u.RawQuery != "" {
		signedURL += "?" + u.RawQuery
	}
	var params string
	if want := u.Query().Get(twilioBodyHash); want != "" {
		sum := sha256.Sum256(body)
		if !hmac.Equal([]byte(strings.ToLower(want)), []byte(hex.EncodeToString(sum[:]))) {
			return &Error{ReasonMismatch, twilioSignature, "the body's SHA-256 is not the URL's bodySHA256"}
		}
	} else if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return &Error{ReasonMalformed, twilioSignature, "the body is neither a form nor signed by bodySHA256 in the URL"}
		}
		for name, vals := range form {
			// Signed sorted, read by a mapping as the first: a body with
			// the values reordered would verify and read otherwise.
			if len(vals) > 1 {
				return &Error{ReasonMalformed, twilioSignature, "the form repeats the parameter " + strconv.Quote(name) + ": its values are signed sorted, so their order is not authenticated"}
			}
		}
		params = sortedParams(form)
	}
	var sum [sha1.Size]byte
	for _, candidate := range portVariants(signedURL) {
		for _, key := range v.keys {
			mac := hmac.New(sha1.New, key)
			mac.Write([]byte(candidate))
			mac.Write([]byte(params))
			if hmac.Equal(sig, mac.Sum(sum[:0])) {
				return nil
			}
		}
	}
	return &Error{ReasonMismatch, twilioSignature, "no signature matches (is url the public URL given to Twilio?)"}
}

// sortedParams concatenates each name and value, sorted by name, then by
// value for a repeated name.
func sortedParams(form url.Values) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(form)) {
		vals := slices.Clone(form[k])
		slices.Sort(vals)
		for _, val := range vals {
			b.WriteString(k)
			b.WriteString(val)
		}
	}
	return b.String()
}

// portVariants returns s as it is and with the scheme's default port added
// or removed, as Twilio's libraries try both.
func portVariants(s string) []string {
	u, err := url.Parse(s)
	if err != nil {
		return []string{s}
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return []string{s}
	}
	other := *u
	switch u.Port() {
	case "":
		other.Host = u.Host + ":" + def
	case def:
		other.Host = u.Hostname()
		if strings.Contains(other.Host, ":") {
			other.Host = "[" + other.Host + "]"
		}
	default:
		return []string{s}
	}
	return []string{s, other.String()}
}
