package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Adyen's published example, the one its libraries' HmacValidator tests
// use (adyen-go-api-library, adyen-java-api-library, adyen-ruby-api-library):
// signed content
// 7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true.
const (
	adyenVectorKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	adyenVectorSig = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="
)

func adyenVectorItem(sig string) map[string]any {
	return map[string]any{
		"additionalData":      map[string]any{"hmacSignature": sig},
		"amount":              map[string]any{"value": 1130, "currency": "EUR"},
		"pspReference":        "7914073381342284",
		"eventCode":           "AUTHORISATION",
		"eventDate":           "2019-05-06T17:15:34.121+02:00",
		"merchantAccountCode": "TestMerchant",
		"operations":          []string{"CANCEL", "CAPTURE", "REFUND"},
		"merchantReference":   "TestPayment-1407325143704",
		"paymentMethod":       "visa",
		"success":             "true",
	}
}

func adyenBody(t testing.TB, items ...map[string]any) []byte {
	t.Helper()
	var list []map[string]any
	for _, it := range items {
		list = append(list, map[string]any{"NotificationRequestItem": it})
	}
	b, err := json.Marshal(map[string]any{"live": "false", "notificationItems": list})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// adyenSign signs an item as Adyen does, written apart from the scheme.
func adyenSign(hexKey string, it map[string]any) string {
	key, _ := hex.DecodeString(hexKey)
	amount := it["amount"].(map[string]any)
	str := func(v any) string {
		if v == nil {
			return ""
		}
		b, _ := json.Marshal(v)
		return strings.Trim(string(b), `"`)
	}
	signed := strings.Join([]string{str(it["pspReference"]), str(it["originalReference"]), str(it["merchantAccountCode"]), str(it["merchantReference"]),
		str(amount["value"]), str(amount["currency"]), str(it["eventCode"]), str(it["success"])}, ":")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signed))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestAdyenPublishedVector(t *testing.T) {
	v := mustNew(t, Config{Scheme: SchemeAdyen, Secrets: []Secret{adyenVectorKey}})
	assertReason(t, v.Verify(nil, adyenBody(t, adyenVectorItem(adyenVectorSig)), time.Now()), "")
	if got := adyenSign(adyenVectorKey, adyenVectorItem("")); got != adyenVectorSig {
		t.Errorf("adyenSign = %s, want the published %s", got, adyenVectorSig)
	}
	// The key in lower case is the same key.
	v = mustNew(t, Config{Scheme: SchemeAdyen, Secrets: []Secret{Secret(strings.ToLower(adyenVectorKey))}})
	assertReason(t, v.Verify(nil, adyenBody(t, adyenVectorItem(adyenVectorSig)), time.Now()), "")
}

// TestAdyenExample verifies docs/signatures.md's example, computed apart
// from Go (Python's hmac).
func TestAdyenExample(t *testing.T) {
	body := []byte(`{"live":"false","notificationItems":[{"NotificationRequestItem":{
  "additionalData":{"hmacSignature":"/b60+8+ntcR0HQbBNuGAqifVnK/eNKVAT8T1jL2KUqY="},
  "amount":{"value":1130,"currency":"EUR"},"pspReference":"7914073381342284",
  "eventCode":"AUTHORISATION","merchantAccountCode":"AcmeShopECOM",
  "merchantReference":"order-1407325143704","success":"true"}}]}`)
	v := mustNew(t, Config{Scheme: SchemeAdyen, Secrets: []Secret{adyenVectorKey}})
	assertReason(t, v.Verify(nil, body, time.Now()), "")
}

func TestAdyen(t *testing.T) {
	const current, old, other = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210", "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	v := mustNew(t, Config{Scheme: SchemeAdyen, Secrets: []Secret{current, old}})
	signed := func(key string, edit func(map[string]any)) map[string]any {
		it := adyenVectorItem("")
		if edit != nil {
			edit(it)
		}
		it["additionalData"] = map[string]any{"hmacSignature": adyenSign(key, it)}
		return it
	}
	refund := func(it map[string]any) {
		it["eventCode"], it["originalReference"], it["pspReference"] = "REFUND", "7914073381342284", "8814073381342299"
		it["amount"] = map[string]any{"value": 500, "currency": "EUR"}
	}
	tampered := signed(current, nil)
	tampered["amount"] = map[string]any{"value": 113000, "currency": "EUR"}
	unsigned := adyenVectorItem("")
	delete(unsigned, "additionalData")
	// What an attacker builds from one captured signed item (attack of
	// 2026-12-06): the verifier must read exactly what the mapping reads.
	captured, err := json.Marshal(map[string]any{"NotificationRequestItem": signed(current, nil)})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := json.Marshal(map[string]any{"NotificationRequestItem": unsigned})
	if err != nil {
		t.Fatal(err)
	}
	caseVariantList := []byte(`{"notificationItems":[` + string(forged) + `],"NotificationItems":[` + string(captured) + `]}`)
	duplicateList := []byte(`{"notificationItems":[` + string(forged) + `],"notificationItems":[` + string(captured) + `]}`)
	item := strings.TrimSuffix(strings.TrimPrefix(string(captured), `{"NotificationRequestItem":`), "}")
	caseVariantField := []byte(`{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":99999999,"currency":"EUR"},` + item[1:] + `}]}`)
	caseVariantField = []byte(strings.Replace(string(caseVariantField), `"amount":{"value":1130`, `"AMOUNT":{"value":1130`, 1))
	longS := []byte(strings.Replace(string(caseVariantList), `"NotificationItems"`, `"notificationItemſ"`, 1))
	tests := []struct {
		name   string
		body   []byte
		want   Reason
		detail string
	}{
		{name: "one item", body: adyenBody(t, signed(current, nil))},
		{name: "old key", body: adyenBody(t, signed(old, nil))},
		{name: "two items, each signed", body: adyenBody(t, signed(current, nil), signed(current, refund))},
		{name: "success as a boolean", body: adyenBody(t, signed(current, func(it map[string]any) { it["success"] = false }))},
		{name: "tampered amount", body: adyenBody(t, tampered), want: ReasonMismatch, detail: "notificationItems[0]: no signature matches"},
		{name: "a forged item beside a signed one", body: adyenBody(t, signed(current, nil), tampered), want: ReasonMismatch, detail: "notificationItems[1]: no signature matches"},
		{name: "an unsigned item beside a signed one", body: adyenBody(t, signed(current, nil), unsigned), want: ReasonMissing, detail: "notificationItems[1] is not signed"},
		{name: "wrong key", body: adyenBody(t, signed(other, nil)), want: ReasonMismatch},
		{name: "garbled signature", body: adyenBody(t, adyenVectorItem("not base64")), want: ReasonMalformed},
		{name: "no items", body: []byte(`{"live":"false","notificationItems":[]}`), want: ReasonMalformed},
		{name: "not JSON", body: []byte(`live=false`), want: ReasonMalformed},
		{name: "item without NotificationRequestItem", body: []byte(`{"notificationItems":[{}]}`), want: ReasonMalformed},
		{name: "a forged list beside a captured one under a name in another case", body: caseVariantList, want: ReasonMalformed,
			detail: `the body is not an Adyen notification (a JSON object with notificationItems): names "notificationItems" and "NotificationItems": a name may appear once, in one case`},
		{name: "a forged list beside a captured one under a name that folds to it", body: longS, want: ReasonMalformed},
		{name: "a forged list beside a captured one under the same name", body: duplicateList, want: ReasonMalformed},
		{name: "a forged amount beside the signed one in another case", body: caseVariantField, want: ReasonMalformed},
		{name: "amount.value as a string", body: adyenBody(t, signed(current, func(it map[string]any) { it["amount"] = map[string]any{"value": "1130", "currency": "EUR"} })), want: ReasonMalformed},
		{name: "a signed item under a name in another case", body: []byte(`{"NOTIFICATIONITEMS":[` + string(captured) + `]}`), want: ReasonMalformed},
		{name: "a signed field that is an object", body: adyenBody(t, signed(current, func(it map[string]any) { it["eventCode"] = map[string]any{"x": 1} })), want: ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(nil, tc.body, time.Now())
			assertReason(t, err, tc.want)
			if err != nil && tc.detail != "" && err.(*Error).Detail != tc.detail {
				t.Errorf("detail %q, want %q", err.(*Error).Detail, tc.detail)
			}
			if err != nil && strings.Contains(err.Error(), current) {
				t.Errorf("the error holds the key: %v", err)
			}
		})
	}
	_, err = New(Config{Scheme: SchemeAdyen, Secrets: []Secret{current, "not-hex"}})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Secret != 2 || err.Error() != "secret 2 is not an Adyen HMAC key: want the hex digits the Customer Area shows" {
		t.Errorf("a key that is not hex: %v", err)
	}
}

// TestPlaceholderSecretsLoadEveryScheme: the tools load every scheme with
// PlaceholderSecret in place of its secrets.
func TestPlaceholderSecretsLoadEveryScheme(t *testing.T) {
	settings := map[string]map[string]string{
		SchemeHMAC: {"header": "X-Sig"}, SchemeSquare: {"url": "https://b.example/s"}, SchemeTwilio: {"url": "https://b.example/t"},
		SchemeEd25519: {"public_key": ed25519Hex(ed25519Key(1))}, SchemeDiscord: {"public_key": ed25519Hex(ed25519Key(1))},
	}
	for _, s := range Schemes() {
		cfg := Config{Scheme: s, Settings: settings[s]}
		if s != SchemeNone && !schemes[s].publicKeys {
			cfg.Secrets = []Secret{PlaceholderSecret(s)}
		}
		if _, err := New(cfg); err != nil {
			t.Errorf("%s with its placeholder secret: %v", s, err)
		}
	}
}

func FuzzAdyenBody(f *testing.F) {
	f.Add(`{"notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"` + adyenVectorSig + `"},"amount":{"value":1130,"currency":"EUR"},"pspReference":"7914073381342284","eventCode":"AUTHORISATION","merchantAccountCode":"TestMerchant","merchantReference":"TestPayment-1407325143704","success":"true"}}]}`)
	f.Add(`{"notificationItems":[{"NotificationRequestItem":null}]}`)
	f.Add(`{"notificationItems":[{"NotificationRequestItem":{"success":1e999}}]}`)
	v, err := New(Config{Scheme: SchemeAdyen, Secrets: []Secret{adyenVectorKey}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if err := v.Verify(nil, []byte(body), time.Now()); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
