package signature

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// BenchmarkProviderSchemesVerify measures one accepted delivery of a 1 KiB
// body per provider scheme (adyen: a one-item notification).
func BenchmarkProviderSchemesVerify(b *testing.B) {
	body := append([]byte(`{"type":"payment.created","pad":"`), bytes.Repeat([]byte("x"), 1024-36)...)
	body = append(body, `"}`...)
	now := time.Unix(1_700_000_000, 0)
	k := ed25519Key(1)
	twilioForm := url.Values{"MessageSid": {"SM1"}, "Body": {string(bytes.Repeat([]byte("x"), 1000))}}
	adyenItem := adyenVectorItem(adyenVectorSig)
	cases := []struct {
		name string
		cfg  Config
		u    *url.URL
		h    http.Header
		body []byte
	}{
		{"slack", Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}}, nil, slackSign("s", now, body), body},
		{"shopify", Config{Scheme: SchemeShopify, Secrets: []Secret{"s"}}, nil, shopifySign("s", now, body), body},
		{"meta", Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}}, nil, metaSign("s", now, body), body},
		{"zoom", Config{Scheme: SchemeZoom, Secrets: []Secret{"s"}}, nil, zoomSign("s", now, body), body},
		{"mercadopago", Config{Scheme: SchemeMercadoPago, Secrets: []Secret{"s"}}, mpURL("123456"), mpSign("s", "123456", "r", "1700000000"),
			append([]byte(`{"action":"payment.updated","data":{"id":"123456"},"pad":"`), append(bytes.Repeat([]byte("x"), 960), `"}`...)...)},
		{"discord", Config{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": ed25519Hex(k)}}, nil, ed25519Sign(k, now, body), body},
		{"square", Config{Scheme: SchemeSquare, Secrets: []Secret{"s"}, Settings: map[string]string{"url": squareTestURL}}, nil, squareSign("s", now, body), body},
		{"twilio", Config{Scheme: SchemeTwilio, Secrets: []Secret{"s"}, Settings: map[string]string{"url": "https://b.example/t"}}, &url.URL{},
			http.Header{"X-Twilio-Signature": {twilioSign("s", "https://b.example/t", twilioForm)}}, []byte(twilioForm.Encode())},
		{"adyen", Config{Scheme: SchemeAdyen, Secrets: []Secret{adyenVectorKey}}, nil, nil, adyenBody(b, adyenItem)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			v, err := New(tc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := VerifyRequest(v, tc.u, tc.h, tc.body, now); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyRequest(v, tc.u, tc.h, tc.body, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshakeOfADelivery measures what a delivery that is not a
// handshake costs the Handshake check before it is mapped (1 KiB bodies),
// and the answer to a handshake.
func BenchmarkHandshakeOfADelivery(b *testing.B) {
	pad := string(bytes.Repeat([]byte("x"), 1024-60))
	k := ed25519Key(1)
	cases := []struct {
		name      string
		cfg       Config
		body      string
		handshake bool
	}{
		{"slack event", Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}}, `{"type":"event_callback","event_id":"Ev01","pad":"` + pad + `"}`, false},
		{"zoom event", Config{Scheme: SchemeZoom, Secrets: []Secret{"s"}}, `{"event":"meeting.started","event_ts":1,"pad":"` + pad + `"}`, false},
		{"discord command", Config{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": ed25519Hex(k)}}, `{"type":2,"id":"1","pad":"` + pad + `"}`, false},
		{"slack url_verification", Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}}, `{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, true},
		{"zoom url_validation", Config{Scheme: SchemeZoom, Secrets: []Secret{"s"}}, `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1,"event":"endpoint.url_validation"}`, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			v, err := New(tc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			hs, h := v.(Handshaker), http.Header{}
			body := []byte(tc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, err := hs.Handshake(h, body); ok != tc.handshake || err != nil {
					b.Fatalf("ok %v, %v", ok, err)
				}
			}
		})
	}
}
