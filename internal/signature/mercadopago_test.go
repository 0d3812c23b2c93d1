package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mpSign signs as Mercado Pago documents it: the hex HMAC-SHA256 of the
// manifest "id:<data.id>;request-id:<x-request-id>;ts:<ts>;", with the parts
// that are absent left out, written by hand here (not with mpManifest).
// Mercado Pago's Go SDK has no signature helper.
func mpSign(secret, dataID, requestID, ts string) http.Header {
	var m string
	if dataID != "" {
		m += "id:" + dataID + ";"
	}
	if requestID != "" {
		m += "request-id:" + requestID + ";"
	}
	m += "ts:" + ts + ";"
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(m))
	h := http.Header{}
	h.Set("x-signature", "ts="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
	if requestID != "" {
		h.Set("x-request-id", requestID)
	}
	return h
}

func mpURL(dataID string) *url.URL {
	u, _ := url.Parse("https://bridge.example.com/webhooks/mercadopago?type=payment")
	if dataID != "" {
		q := u.Query()
		q.Set("data.id", dataID)
		u.RawQuery = q.Encode()
	}
	return u
}

func mpTypedURL(dataID, typ string) *url.URL {
	u := mpURL(dataID)
	q := u.Query()
	q.Set("type", typ)
	u.RawQuery = q.Encode()
	return u
}

// withHeader is a copy of h with k set to v, or without k when v is "".
func withHeader(h http.Header, k, v string) http.Header {
	h = h.Clone()
	if v == "" {
		h.Del(k)
	} else {
		h.Set(k, v)
	}
	return h
}

// TestMercadoPagoExample verifies docs/signatures.md's example, computed
// apart from Go (Python's hmac over the manifest).
func TestMercadoPagoExample(t *testing.T) {
	h := http.Header{}
	h.Set("x-signature", "ts=1704908010,v1=dfdceb2e544f99aec9faa42694b787de40f79e4aae42aa80ad2f08c8ff3b61eb")
	h.Set("x-request-id", "bb56a2f1-6aae-46ac-982e-9dcd3581d08e")
	u, _ := url.Parse("https://bridge.example.com/webhooks/mercadopago?data.id=123456789&type=payment")
	v := mustNew(t, Config{Scheme: SchemeMercadoPago, Secrets: []Secret{"f3b1e5c2a9d84f0c9e7a6b5d4c3b2a19"}})
	body := []byte(`{"action":"payment.updated","data":{"id":"123456789"},"type":"payment"}`)
	// No tolerance by default: a notification of 2024 still verifies.
	assertReason(t, VerifyRequest(v, u, h, body, time.Now()), "")
	// Without the URL nothing ties the body to the signature.
	assertReason(t, v.Verify(h, body, time.Now()), ReasonMissing)
	assertReason(t, VerifyRequest(v, nil, h, body, time.Now()), ReasonMissing)
}

func TestMercadoPago(t *testing.T) {
	const secret, old, other = "mp-secret", "mp-old-secret", "someone-else"
	const reqID, dataID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e", "123456789"
	now := time.Unix(1_704_908_010, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	tsMilli := strconv.FormatInt(now.UnixMilli(), 10)
	set := withHeader
	good := mpSign(secret, dataID, reqID, ts)
	tests := []struct {
		name      string
		tolerance time.Duration
		u         *url.URL
		h         http.Header
		body      string // default: a notification about the URL's data.id
		want      Reason
	}{
		{name: "signed", u: mpURL(dataID), h: good},
		{name: "old secret", u: mpURL(dataID), h: mpSign(old, dataID, reqID, ts)},
		{name: "alphanumeric data.id lower-cased", u: mpURL("ORD01JQ4S4KY8"), h: mpSign(secret, "ord01jq4s4ky8", reqID, ts)},
		{name: "other data.id as sent", u: mpURL("AB-12"), h: mpSign(secret, "AB-12", reqID, ts)},
		{name: "no data.id in the URL: nothing ties the body", u: mpURL(""), h: mpSign(secret, "", reqID, ts), want: ReasonMissing},
		{name: "no x-request-id", u: mpURL(dataID), h: mpSign(secret, dataID, "", ts)},
		{name: "timestamp in milliseconds", u: mpURL(dataID), h: mpSign(secret, dataID, reqID, tsMilli)},
		{name: "the body's other fields are not signed", u: mpURL(dataID), h: good, body: `{"action":"payment.created","data":{"id":"123456789"}}`},
		{name: "data.id as a number in the body", u: mpURL(dataID), h: good, body: `{"data":{"id":123456789}}`},
		{name: "a body about another payment", u: mpURL(dataID), h: good, body: `{"action":"payment.updated","data":{"id":"999999999"}}`, want: ReasonMismatch},
		{name: "a body without data.id", u: mpURL(dataID), h: good, body: `{"anything":"else"}`, want: ReasonMismatch},
		{name: "a body with data.id twice", u: mpURL(dataID), h: good, body: `{"data":{"id":"999999999","ID":"123456789"}}`, want: ReasonMismatch},
		{name: "a body of another type than the URL's", u: mpTypedURL(dataID, "payment"), h: good, body: `{"type":"subscription_preapproval","data":{"id":"123456789"}}`, want: ReasonMismatch},
		{name: "a body of the URL's type", u: mpTypedURL(dataID, "payment"), h: good, body: `{"type":"payment","data":{"id":"123456789"}}`},
		{name: "a data.id that shifts the manifest", u: mpURL("123;request-id:" + reqID), h: mpSign(secret, "123;request-id:"+reqID, "", ts), body: `{"data":{"id":"123;request-id:` + reqID + `"}}`, want: ReasonMalformed},
		{name: "a body that is not JSON", u: mpURL(dataID), h: good, body: `data.id=123456789`, want: ReasonMalformed},
		{name: "data.id changed", u: mpURL("987654321"), h: good, want: ReasonMismatch},
		{name: "data.id dropped", u: mpURL(""), h: good, want: ReasonMissing},
		{name: "x-request-id changed", u: mpURL(dataID), h: set(good, "x-request-id", "other"), want: ReasonMismatch},
		{name: "x-request-id dropped", u: mpURL(dataID), h: set(good, "x-request-id", ""), want: ReasonMismatch},
		{name: "ts changed", u: mpURL(dataID), h: set(good, "x-signature", strings.Replace(good.Get("x-signature"), "ts="+ts, "ts=1704908011", 1)), want: ReasonMismatch},
		{name: "wrong secret", u: mpURL(dataID), h: mpSign(other, dataID, reqID, ts), want: ReasonMismatch},
		{name: "header missing", u: mpURL(dataID), h: set(good, "x-signature", ""), want: ReasonMissing},
		{name: "no ts", u: mpURL(dataID), h: set(good, "x-signature", strings.SplitN(good.Get("x-signature"), ",", 2)[1]), want: ReasonMalformed},
		{name: "no v1", u: mpURL(dataID), h: set(good, "x-signature", "ts="+ts), want: ReasonMalformed},
		{name: "v1 not hex", u: mpURL(dataID), h: set(good, "x-signature", "ts="+ts+",v1=xyz"), want: ReasonMalformed},
		{name: "ts not a number", u: mpURL(dataID), h: set(good, "x-signature", strings.Replace(good.Get("x-signature"), "ts="+ts, "ts=-1", 1)), want: ReasonMalformed},
		{name: "within a configured tolerance", tolerance: time.Minute, u: mpURL(dataID), h: good},
		{name: "within a configured tolerance, milliseconds", tolerance: time.Minute, u: mpURL(dataID), h: mpSign(secret, dataID, reqID, tsMilli)},
		{name: "outside a configured tolerance", tolerance: time.Minute, u: mpURL(dataID),
			h: mpSign(secret, dataID, reqID, strconv.FormatInt(now.Unix()-61, 10)), want: ReasonExpired},
		{name: "outside a configured tolerance, milliseconds", tolerance: time.Minute, u: mpURL(dataID),
			h: mpSign(secret, dataID, reqID, strconv.FormatInt(now.Add(-61*time.Second).UnixMilli(), 10)), want: ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustNew(t, Config{Scheme: SchemeMercadoPago, Secrets: []Secret{secret, old}, Tolerance: tc.tolerance})
			b := []byte(`{"action":"payment.updated","data":{"id":"` + tc.u.Query().Get("data.id") + `"}}`)
			if tc.body != "" {
				b = []byte(tc.body)
			}
			err := VerifyRequest(v, tc.u, tc.h, b, now)
			assertReason(t, err, tc.want)
			if err != nil && (strings.Contains(err.Error(), secret) || err.(*Error).Header != "X-Signature") {
				t.Errorf("error %q: want the header X-Signature and no secret", err)
			}
		})
	}
	if got := mustNew(t, Config{Scheme: SchemeMercadoPago, Secrets: []Secret{"s"}}).DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
}

func FuzzMercadoPagoHeader(f *testing.F) {
	f.Add(mpSign("s", "1", "r", "1704908010").Get("x-signature"), "data.id=1")
	f.Add("ts=,v1=", "")
	f.Add("v1=00,ts=1,ts=2", "data.id=%zz")
	v, err := New(Config{Scheme: SchemeMercadoPago, Secrets: []Secret{"s"}, Tolerance: time.Minute})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, query string) {
		h := http.Header{}
		h.Set("x-signature", sig)
		h.Set("x-request-id", "r")
		if err := VerifyRequest(v, &url.URL{RawQuery: query}, h, nil, time.Unix(1704908010, 0)); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
