package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Mercado Pago signs a manifest, not the body
// (https://www.mercadopago.com.br/developers/en/docs/your-integrations/notifications/webhooks,
// "Validate the notification origin"):
//
//	id:<data.id>;request-id:<x-request-id>;ts:<ts>;
//
// where data.id is the query parameter of the notification URL (lower-cased
// when alphanumeric), x-request-id the header, and ts the ts= part of
// x-signature: "ts=<ts>,v1=<hex HMAC-SHA256 keyed with the secret>". A part
// absent from the request is left out of the manifest. ts is signed as sent;
// Mercado Pago's documents show it in seconds and in milliseconds, and a
// retry keeps it, so it is checked against the tolerance only when one is
// configured.
//
// Since the body is not signed, the scheme ties it to what is: the body
// must be a JSON object whose data.id is the signed query data.id (and
// whose type, when the query has one, is the query's type: a consistency
// check, since the query's type is not signed), so that a
// captured signature cannot carry a body about another payment. The rest
// of the body (action, date_created, ...) is not authenticated by
// Mercado Pago's scheme: docs/signatures.md says what a consumer should
// then trust.
const (
	mpSignature = "X-Signature"
	mpRequestID = "X-Request-Id"
	mpDataID    = "data.id"
)

type mercadoPago struct {
	keys      [][]byte
	tolerance time.Duration // 0: no timestamp check
}

func newMercadoPago(cfg Config) (Verifier, []error) {
	v := &mercadoPago{tolerance: cfg.Tolerance}
	for _, sec := range resolvedSecrets(cfg) {
		v.keys = append(v.keys, []byte(sec))
	}
	return v, nil
}

func (*mercadoPago) DeliveryHeader() string { return "" }

// Verify checks a delivery as if its URL had no query: a notification
// whose data.id was signed does not verify.
func (v *mercadoPago) Verify(h http.Header, body []byte, now time.Time) error {
	return v.VerifyURL(&url.URL{}, h, body, now)
}

func (v *mercadoPago) VerifyURL(u *url.URL, h http.Header, body []byte, now time.Time) error {
	raw := h.Get(mpSignature)
	if raw == "" {
		return &Error{ReasonMissing, mpSignature, "header is missing"}
	}
	if len(raw) > hmacMaxSignatureSz {
		return &Error{ReasonMalformed, mpSignature, `want "ts=<timestamp>,v1=<64 hex digits>"`}
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(raw, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "ts":
			ts = val
		case "v1":
			if b, err := hex.DecodeString(val); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	at, ok := parseUnix(ts)
	if !ok {
		return &Error{ReasonMalformed, mpSignature, "no valid timestamp ts= (digits)"}
	}
	if len(sigs) == 0 {
		return &Error{ReasonMalformed, mpSignature, "no v1= signature of 64 hex digits"}
	}
	if v.tolerance > 0 {
		if len(ts) >= 13 { // milliseconds: 13 digits since 2001
			at = time.UnixMilli(at.Unix())
		}
		if !fresh(at, now, v.tolerance) {
			return &Error{ReasonExpired, mpSignature, "timestamp outside the tolerance of " + v.tolerance.String()}
		}
	}
	query := u.Query()
	dataID := query.Get(mpDataID)
	if dataID == "" {
		return &Error{ReasonMissing, mpSignature, "the notification URL has no data.id query parameter: without it nothing ties the body to the signature"}
	}
	if strings.ContainsAny(dataID, ";:") {
		// The manifest joins its parts with ';' after 'name:': a data.id
		// of "123;request-id:R" would sign as the id 123 with request id R.
		return &Error{ReasonMalformed, mpSignature, "data.id holds ';' or ':', which would make the signed manifest ambiguous"}
	}
	manifest := mpManifest(dataID, h.Get(mpRequestID), ts)
	var sum [sha256.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(manifest)
		want := mac.Sum(sum[:0])
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return mpBodyMatches(body, dataID, query.Get("type"))
			}
		}
	}
	return &Error{ReasonMismatch, mpSignature, "no signature matches the manifest of data.id, x-request-id and ts"}
}

// mpBodyMatches checks that the unsigned body is about what was signed:
// its data.id is the query's (a string or an integer), its type the
// query's when the query has one.
func mpBodyMatches(body []byte, dataID, typ string) error {
	top, err := exactObject(body)
	if err != nil {
		return &Error{ReasonMalformed, mpSignature, "the body is not a Mercado Pago notification (a JSON object): " + err.Error()}
	}
	data, err := exactObject(top["data"])
	if err != nil {
		return &Error{ReasonMismatch, mpSignature, "the body has no data object whose id the signature covers"}
	}
	if got, ok := jsonScalarText(data["id"]); !ok || got != dataID {
		return &Error{ReasonMismatch, mpSignature, "the body's data.id is not the signed data.id of the URL"}
	}
	if typ != "" {
		if got, ok := jsonScalarText(top["type"]); ok && got != typ {
			return &Error{ReasonMismatch, mpSignature, "the body's type is not the URL's type"}
		}
	}
	return nil
}

// jsonScalarText is a JSON string's text or an integer as written.
func jsonScalarText(raw []byte) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), true
		}
	}
	return "", false
}

// mpManifest is the signed template with the parts that are present.
func mpManifest(dataID, requestID, ts string) []byte {
	var b strings.Builder
	if dataID != "" {
		if alphanumeric(dataID) {
			dataID = strings.ToLower(dataID)
		}
		b.WriteString("id:" + dataID + ";")
	}
	if requestID != "" {
		b.WriteString("request-id:" + requestID + ";")
	}
	b.WriteString("ts:" + ts + ";")
	return []byte(b.String())
}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
