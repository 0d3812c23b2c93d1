package signature

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The basic scheme: HTTP Basic authentication (RFC 7617). Each secret is a
// "user:password" pair; Authorization must carry one of them.
var basicSettings = []string{"delivery_header"}

const basicPrefix = "Basic "

type basic struct {
	digests  [][sha256.Size]byte
	delivery string
}

func newBasic(cfg Config) (Verifier, []error) {
	s := newSettings(cfg)
	v := &basic{delivery: s.header("delivery_header", "", false)}
	for i, sec := range cfg.Secrets {
		if sec != "" && !strings.Contains(string(sec), ":") {
			s.errs = append(s.errs, &ConfigError{Setting: "secrets", Secret: i + 1,
				Msg: fmt.Sprintf("secret %d must be user:password (the user and the password joined by a colon)", i+1)})
		}
	}
	v.digests = secretDigests(resolvedSecrets(cfg))
	return v, s.errs
}

func (v *basic) DeliveryHeader() string { return v.delivery }

func (v *basic) Verify(h http.Header, _ []byte, _ time.Time) error {
	raw := h.Get(authorization)
	if raw == "" {
		return &Error{ReasonMissing, authorization, "header is missing"}
	}
	enc, ok := cutPrefixFold(raw, basicPrefix)
	if !ok {
		return &Error{ReasonMalformed, authorization, "want Basic and base64 of user:password"}
	}
	cred, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil || !strings.Contains(string(cred), ":") {
		return &Error{ReasonMalformed, authorization, "want Basic and base64 of user:password"}
	}
	// The whole "user:password" is compared: the user cannot hold a colon,
	// so the pair is equal exactly when both halves are.
	if matchDigest(v.digests, string(cred)) {
		return nil
	}
	return &Error{ReasonMismatch, authorization, "no credentials match"}
}
