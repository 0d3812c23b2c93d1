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
	"strings"
	"time"
	"unicode"
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

// The verifier reads the signed fields by their exact names, as the
// mapping reads the payload: encoding/json's struct decoding matches names
// regardless of case and keeps the last of duplicates, so a body holding
// both "notificationItems" (forged, read by the mapping) and
// "NotificationItems" (a captured signed item, read by such a verifier)
// would verify. A name that appears twice in an object on the signed path,
// even in another case, makes the body malformed: no reader can then take
// another member than the one that was verified.

// adyenItemFields are the signed fields of an item, in the signed order;
// "amount.value" and "amount.currency" are read from the amount object.
var adyenItemFields = []string{"pspReference", "originalReference", "merchantAccountCode", "merchantReference",
	"amount.value", "amount.currency", "eventCode", "success"}

func (v *adyen) Verify(_ http.Header, body []byte, _ time.Time) error {
	top, err := exactObject(body)
	if err != nil {
		return &Error{ReasonMalformed, adyenField, "the body is not an Adyen notification (a JSON object with notificationItems): " + err.Error()}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(top["notificationItems"], &items); err != nil || len(items) == 0 {
		return &Error{ReasonMalformed, adyenField, "the notification has no notificationItems list"}
	}
	for i, raw := range items {
		where := fmt.Sprintf("notificationItems[%d]", i)
		item, err := adyenRequestItem(raw)
		if err != nil {
			return &Error{ReasonMalformed, adyenField, where + ": " + err.Error()}
		}
		var additional map[string]json.RawMessage
		if a, ok := item["additionalData"]; ok {
			if additional, err = exactObject(a); err != nil {
				return &Error{ReasonMalformed, adyenField, where + ".NotificationRequestItem.additionalData: " + err.Error()}
			}
		}
		var raw string
		if s, ok := additional["hmacSignature"]; ok && json.Unmarshal(s, &raw) != nil {
			return &Error{ReasonMalformed, adyenField, where + ": hmacSignature is not a string"}
		}
		if raw == "" {
			return &Error{ReasonMissing, adyenField, where + " is not signed"}
		}
		sig, err := base64.StdEncoding.DecodeString(raw)
		if len(raw) > hmacMaxSignatureSz || err != nil || len(sig) != sha256.Size {
			return &Error{ReasonMalformed, adyenField, where + ": want 44 base64 characters"}
		}
		signed, err := adyenSigned(item)
		if err != nil {
			return &Error{ReasonMalformed, adyenField, where + ": " + err.Error()}
		}
		if !v.matches(signed, sig) {
			return &Error{ReasonMismatch, adyenField, where + ": no signature matches"}
		}
	}
	return nil
}

// adyenRequestItem is the NotificationRequestItem object of one element
// of notificationItems.
func adyenRequestItem(raw json.RawMessage) (map[string]json.RawMessage, error) {
	wrap, err := exactObject(raw)
	if err != nil {
		return nil, err
	}
	r, ok := wrap["NotificationRequestItem"]
	if !ok {
		return nil, fmt.Errorf("has no NotificationRequestItem")
	}
	item, err := exactObject(r)
	if err != nil {
		return nil, fmt.Errorf("NotificationRequestItem: %w", err)
	}
	return item, nil
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

// adyenSigned joins the item's signed fields with colons.
func adyenSigned(item map[string]json.RawMessage) ([]byte, error) {
	var amount map[string]json.RawMessage
	if a, ok := item["amount"]; ok && string(bytes.TrimSpace(a)) != "null" {
		var err error
		if amount, err = exactObject(a); err != nil {
			return nil, fmt.Errorf("amount: %w", err)
		}
	}
	var b bytes.Buffer
	for i, name := range adyenItemFields {
		if i > 0 {
			b.WriteByte(':')
		}
		f := item[name]
		if sub, ok := strings.CutPrefix(name, "amount."); ok {
			f = amount[sub]
		}
		s, ok := adyenText(f)
		if !ok || name == "amount.value" && len(s) > 0 && bytes.TrimSpace(f)[0] == '"' {
			// amount.value is a number of minor units: as a string it
			// would sign the same text and reach the mapping as a string.
			return nil, fmt.Errorf("%s is not a string, number or boolean as Adyen signs it", name)
		}
		b.WriteString(s)
	}
	return b.Bytes(), nil
}

// exactObject decodes one JSON object into its members by exact name. A
// name that appears twice, or twice in different cases (as Unicode simple
// case folding, which encoding/json applies, compares them), is an
// error: readers that resolve such names differently would read different
// members.
func exactObject(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	folded := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not a JSON object")
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not a JSON object")
		}
		key := foldName(name)
		if prev, dup := folded[key]; dup {
			return nil, fmt.Errorf("names %q and %q: a name may appear once, in one case", prev, name)
		}
		folded[key] = name
		m[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return m, nil
}

// foldName maps every name that a case-insensitive reader would take for
// name to one key.
func foldName(name string) string {
	return strings.Map(func(r rune) rune {
		// The smallest rune of r's case-folding orbit (k, K and the
		// Kelvin sign K fold together).
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		return min
	}, name)
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
