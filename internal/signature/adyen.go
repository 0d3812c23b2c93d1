package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Adyen's standard webhooks carry the signature in the body: each of a
// notification's items has additionalData.hmacSignature, the base64
// HMAC-SHA256, keyed with the hex-decoded HMAC key, of the item's
//
//	pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success
//
// (amount.value and amount.currency; an absent field is empty)
// (https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures).
// Every item must verify: one forged item beside a signed one refuses the
// whole delivery. This is the one scheme that parses the body (as JSON)
// before the signature is checked. Adyen signs no timestamp and sends no
// delivery id header.
const adyenField = "additionalData.hmacSignature"

type adyen struct{ keys [][]byte }

func newAdyen(cfg Config) (Verifier, []error) {
	v := &adyen{}
	var errs []error
	for i, s := range cfg.Secrets {
		if s == "" {
			continue // New reports it
		}
		key, err := hex.DecodeString(string(s))
		if err != nil || len(key) == 0 {
			errs = append(errs, &ConfigError{Setting: "secrets", Secret: i + 1,
				Msg: fmt.Sprintf("secret %d is not an Adyen HMAC key: want the hex digits the Customer Area shows", i+1)})
			continue
		}
		v.keys = append(v.keys, key)
	}
	return v, errs
}

func (*adyen) DeliveryHeader() string { return "" }

// adyenNotification is what the signature covers of a notification.
type adyenNotification struct {
	NotificationItems []struct {
		Item *adyenItem `json:"NotificationRequestItem"`
	} `json:"notificationItems"`
}

type adyenItem struct {
	PSPReference        json.RawMessage `json:"pspReference"`
	OriginalReference   json.RawMessage `json:"originalReference"`
	MerchantAccountCode json.RawMessage `json:"merchantAccountCode"`
	MerchantReference   json.RawMessage `json:"merchantReference"`
	Amount              struct {
		Value    json.RawMessage `json:"value"`
		Currency json.RawMessage `json:"currency"`
	} `json:"amount"`
	EventCode      json.RawMessage `json:"eventCode"`
	Success        json.RawMessage `json:"success"`
	AdditionalData struct {
		HMACSignature string `json:"hmacSignature"`
	} `json:"additionalData"`
}

func (v *adyen) Verify(_ http.Header, body []byte, _ time.Time) error {
	var n adyenNotification
	if err := json.Unmarshal(body, &n); err != nil {
		return &Error{ReasonMalformed, adyenField, "the body is not an Adyen notification (JSON with notificationItems)"}
	}
	if len(n.NotificationItems) == 0 {
		return &Error{ReasonMalformed, adyenField, "the notification has no notificationItems"}
	}
	for i, it := range n.NotificationItems {
		where := fmt.Sprintf("notificationItems[%d]", i)
		if it.Item == nil {
			return &Error{ReasonMalformed, adyenField, where + " has no NotificationRequestItem"}
		}
		raw := it.Item.AdditionalData.HMACSignature
		if raw == "" {
			return &Error{ReasonMissing, adyenField, where + " is not signed"}
		}
		sig, err := base64.StdEncoding.DecodeString(raw)
		if len(raw) > hmacMaxSignatureSz || err != nil || len(sig) != sha256.Size {
			return &Error{ReasonMalformed, adyenField, where + ": want 44 base64 characters"}
		}
		signed, ok := it.Item.signed()
		if !ok {
			return &Error{ReasonMalformed, adyenField, where + ": a signed field is not a string, number or boolean"}
		}
		if !v.matches(signed, sig) {
			return &Error{ReasonMismatch, adyenField, where + ": no signature matches"}
		}
	}
	return nil
}

func (v *adyen) matches(signed, sig []byte) bool {
	var sum [sha256.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(signed)
		if hmac.Equal(sig, mac.Sum(sum[:0])) {
			return true
		}
	}
	return false
}

// signed joins the item's signed fields with colons.
func (it *adyenItem) signed() ([]byte, bool) {
	var b bytes.Buffer
	for i, f := range []json.RawMessage{it.PSPReference, it.OriginalReference, it.MerchantAccountCode, it.MerchantReference,
		it.Amount.Value, it.Amount.Currency, it.EventCode, it.Success} {
		if i > 0 {
			b.WriteByte(':')
		}
		s, ok := adyenText(f)
		if !ok {
			return nil, false
		}
		b.WriteString(s)
	}
	return b.Bytes(), true
}

// adyenText is a field as Adyen signs it: a string's text, a number or a
// boolean as written, "" for an absent or null field.
func adyenText(f json.RawMessage) (string, bool) {
	f = bytes.TrimSpace(f)
	switch {
	case len(f) == 0 || string(f) == "null":
		return "", true
	case f[0] == '"':
		var s string
		err := json.Unmarshal(f, &s)
		return s, err == nil
	case string(f) == "true" || string(f) == "false":
		return string(f), true
	case f[0] == '-' || ('0' <= f[0] && f[0] <= '9'):
		if _, err := strconv.ParseFloat(string(f), 64); err != nil {
			return "", false
		}
		return string(f), true
	}
	return "", false
}
