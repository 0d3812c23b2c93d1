package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// GitHub signs the body with HMAC-SHA256 and sends "sha256=<hex>"; the
// delivery's GUID is in X-GitHub-Delivery.
const (
	githubHeader   = "X-Hub-Signature-256"
	githubDelivery = "X-Github-Delivery"
)

type github struct{ secrets []Secret }

func newGitHub(cfg Config) (Verifier, []error) { return &github{secrets: cfg.Secrets}, nil }

func (*github) DeliveryHeader() string { return githubDelivery }

func (g *github) Verify(h http.Header, body []byte, _ time.Time) error {
	v := h.Get(githubHeader)
	if v == "" {
		return &Error{ReasonMissing, githubHeader, "header is missing"}
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	sig, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(sig) != sha256.Size {
		return &Error{ReasonMalformed, githubHeader, `want "sha256=" and 64 hex digits`}
	}
	for _, secret := range g.secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if hmac.Equal(sig, mac.Sum(nil)) {
			return nil
		}
	}
	return &Error{ReasonMismatch, githubHeader, "no signature matches"}
}
