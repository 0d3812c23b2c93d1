package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// The vectors of Twilio's official libraries' RequestValidator tests
// (twilio-go, twilio-python, twilio-php, twilio-csharp): Auth Token 12345,
// https://mycompany.com/myapp.php?foo=1&bar=2.
const (
	twilioVectorToken = "12345"
	twilioVectorForm  = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
	twilioVectorJSON  = `{"property": "value", "boolean": true}`
	twilioVectorHash  = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
)

func TestTwilioPublishedVectors(t *testing.T) {
	tests := []struct {
		name, url, query, body, sig string
	}{
		{"form parameters", "https://mycompany.com/myapp.php", "foo=1&bar=2", twilioVectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"form parameters in another order", "https://mycompany.com/myapp.php", "foo=1&bar=2",
			"To=%2B18005551212&Digits=1234&From=%2B14158675309&Caller=%2B14158675309&CallSid=CA1234567890ABCDE", "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"signed with the http port", "http://mycompany.com/myapp.php", "foo=1&bar=2", twilioVectorForm, "0ZXoZLH/DfblKGATFgpif+LLRf4="},
		{"JSON body by bodySHA256", "https://mycompany.com/myapp.php", "foo=1&bar=2&bodySHA256=" + twilioVectorHash, twilioVectorJSON, "a9nBmqA0ju/hNViExpshrM61xv4="},
		{"only bodySHA256", "https://mycompany.com/myapp.php", "bodySHA256=" + twilioVectorHash, twilioVectorJSON, "y77kIzt2vzLz71DgmJGsen2scGs="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, Config{Scheme: SchemeTwilio, Secrets: []Secret{twilioVectorToken}, Settings: map[string]string{"url": tc.url}})
			h := http.Header{}
			h.Set("X-Twilio-Signature", tc.sig)
			u := &url.URL{RawQuery: tc.query}
			assertReason(t, VerifyRequest(v, u, h, []byte(tc.body), time.Now()), "")
			// Another body, another query: mismatch.
			assertReason(t, VerifyRequest(v, u, h, []byte(strings.Replace(tc.body, "1234", "9999", 1)+" "), time.Now()), ReasonMismatch)
			assertReason(t, VerifyRequest(v, &url.URL{RawQuery: tc.query + "&x=1"}, h, []byte(tc.body), time.Now()), ReasonMismatch)
		})
	}
}

// twilioSign signs as Twilio does, written apart from the scheme: URL,
// then each form name and value sorted by name.
func twilioSign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestTwilio(t *testing.T) {
	const base = "https://bridge.example.com/webhooks/twilio"
	form := url.Values{"MessageSid": {"SM123"}, "Body": {"hello"}, "From": {"+5511999999999"}}
	body := []byte(form.Encode())
	v := mustNew(t, Config{Scheme: SchemeTwilio, Secrets: []Secret{"current", "old"}, Settings: map[string]string{"url": base}})
	h := func(sig string) http.Header {
		hh := http.Header{}
		if sig != "" {
			hh.Set("X-Twilio-Signature", sig)
		}
		return hh
	}
	jsonBody := []byte(`{"type":"com.twilio.messaging.inbound-message.received"}`)
	sum := sha256.Sum256(jsonBody)
	jsonQuery := "bodySHA256=" + hex.EncodeToString(sum[:])
	tests := []struct {
		name  string
		query string
		body  []byte
		h     http.Header
		want  Reason
	}{
		{name: "form", body: body, h: h(twilioSign("current", base, form))},
		{name: "old token", body: body, h: h(twilioSign("old", base, form))},
		{name: "with a query", query: "tenant=a", body: body, h: h(twilioSign("current", base+"?tenant=a", form))},
		{name: "with the default port", body: body, h: h(twilioSign("current", "https://bridge.example.com:443/webhooks/twilio", form))},
		{name: "JSON", query: jsonQuery, body: jsonBody, h: h(twilioSign("current", base+"?"+jsonQuery, nil))},
		{name: "no body", body: nil, h: h(twilioSign("current", base, nil))},
		{name: "JSON tampered", query: jsonQuery, body: append(jsonBody, ' '), h: h(twilioSign("current", base+"?"+jsonQuery, nil)), want: ReasonMismatch},
		{name: "form tampered", body: []byte(strings.Replace(string(body), "hello", "hellp", 1)), h: h(twilioSign("current", base, form)), want: ReasonMismatch},
		{name: "query added", query: "tenant=b", body: body, h: h(twilioSign("current", base, form)), want: ReasonMismatch},
		{name: "another URL", body: body, h: h(twilioSign("current", base+"/", form)), want: ReasonMismatch},
		{name: "wrong token", body: body, h: h(twilioSign("other", base, form)), want: ReasonMismatch},
		{name: "missing", body: body, h: h(""), want: ReasonMissing},
		{name: "not base64", body: body, h: h("not base64!"), want: ReasonMalformed},
		{name: "SHA-256 length", body: body, h: h(base64.StdEncoding.EncodeToString(make([]byte, 32))), want: ReasonMalformed},
		{name: "a repeated parameter", body: []byte("A=2&A=1"), h: h(twilioSign("current", base, url.Values{"A": {"1", "2"}})), want: ReasonMalformed},
		{name: "body neither form nor hashed", body: []byte("%zz"), h: h(twilioSign("current", base, nil)), want: ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyRequest(v, &url.URL{RawQuery: tc.query}, tc.h, tc.body, time.Now())
			assertReason(t, err, tc.want)
			if err != nil && (err.(*Error).Header != "X-Twilio-Signature" || strings.Contains(err.Error(), "current")) {
				t.Errorf("error %q", err)
			}
		})
	}
	if got := v.DeliveryHeader(); got != "I-Twilio-Idempotency-Token" {
		t.Errorf("DeliveryHeader = %q", got)
	}
	if _, err := New(Config{Scheme: SchemeTwilio, Secrets: []Secret{"t"}, Settings: map[string]string{"url": base + "?a=1"}}); err == nil ||
		err.Error() != `url "https://bridge.example.com/webhooks/twilio?a=1" must not hold a query or fragment: the query of each request is appended to it` {
		t.Errorf("a url with a query: %v", err)
	}
}

func FuzzTwilio(f *testing.F) {
	f.Add(twilioSign("s", "https://b.example/t", nil), "", "")
	f.Add("", "bodySHA256=zz", "{}")
	f.Add("AAAA", "a=%zz", "%zz")
	v, err := New(Config{Scheme: SchemeTwilio, Secrets: []Secret{"s"}, Settings: map[string]string{"url": "https://b.example/t"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, query, body string) {
		h := http.Header{}
		h.Set("X-Twilio-Signature", sig)
		if err := VerifyRequest(v, &url.URL{RawQuery: query}, h, []byte(body), time.Now()); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
