// Package signature verifies that a webhook delivery comes from its
// provider: each scheme checks the provider's signature (or token, or
// credentials) over the raw body bytes, before anything is parsed, in
// constant time, with every configured secret (several may be active at
// once while one is rotated).
//
// Errors never say which secret was tried; they say what was wrong with the
// request (missing header, malformed header, stale timestamp, mismatch), and
// carry a Reason for metrics. New takes a Config and reports every problem
// with it at once; ParseBlock reads a mapping file's webhook.signature
// block into a Config and a verifier, and reports each problem at its line
// and column. The rest of a mapping file, and where its secrets come from
// (BlockOptions.Secret), are transform's business.
package signature

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Scheme names.
const (
	SchemeNone             = "none"
	SchemeStripe           = "stripe"
	SchemeGitHub           = "github"
	SchemeStandardWebhooks = "standard-webhooks"
	SchemeHMAC             = "hmac"
	SchemeToken            = "token"
	SchemeBasic            = "basic"
	SchemeSlack            = "slack"
	SchemeShopify          = "shopify"
	SchemeMeta             = "meta"
	SchemeZoom             = "zoom"
	SchemeMercadoPago      = "mercadopago"
	SchemeEd25519          = "ed25519"
	SchemeDiscord          = "discord"
	SchemeSquare           = "square"
	SchemeTwilio           = "twilio"
	SchemeAdyen            = "adyen"
)

// DefaultTolerance is how far a signed timestamp may be from the bridge's
// clock before the delivery is refused as a possible replay.
const DefaultTolerance = 5 * time.Minute

// Secret is a signing secret. It prints as "[redacted]" so that it cannot
// reach a log line or an error by accident.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret.
func (Secret) GoString() string { return "[redacted]" }

// MarshalText redacts the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Config selects and configures a scheme.
type Config struct {
	Scheme    string        // one of Schemes()
	Secrets   []Secret      // active secrets, newest first; required by every scheme but none, discord and ed25519 (public keys, which take none)
	Tolerance time.Duration // timestamp tolerance for schemes that sign one; 0 means DefaultTolerance (mercadopago: no timestamp check)
	// Settings are the scheme's own settings by name (Settings(Scheme) lists
	// them); a setting left out takes its default. Nil for schemes without any.
	Settings map[string]string
	// SecretSettings are the scheme's settings whose values are secrets
	// (meta's verify_token), by name: Settings(Scheme) lists them too, and
	// SecretSetting tells them apart. Nil for schemes without any.
	SecretSettings map[string]Secret
}

// Verifier checks one delivery.
type Verifier interface {
	// Verify returns nil when the delivery is authentic, else an *Error.
	Verify(h http.Header, body []byte, now time.Time) error
	// DeliveryHeader names the header that carries the provider's delivery
	// id, the default source of the idempotency key, in canonical form
	// (http.CanonicalHeaderKey); "" when the scheme has none.
	DeliveryHeader() string
}

// URLVerifier is a Verifier whose scheme also signs parts of the request's
// URL (Mercado Pago signs its data.id query parameter, Twilio the whole
// query). Verify alone checks a delivery as if its URL had no query; the
// webhook door calls VerifyRequest with the request's URL.
type URLVerifier interface {
	Verifier
	VerifyURL(u *url.URL, h http.Header, body []byte, now time.Time) error
}

// VerifyRequest checks a delivery with v, giving it the request's URL when
// its scheme signs part of it.
func VerifyRequest(v Verifier, u *url.URL, h http.Header, body []byte, now time.Time) error {
	if uv, ok := v.(URLVerifier); ok && u != nil {
		return uv.VerifyURL(u, h, body, now)
	}
	return v.Verify(h, body, now)
}

// Reason classifies a rejection, for metrics and logs.
type Reason string

// Rejection reasons.
const (
	ReasonMissing   Reason = "missing"   // no signature header
	ReasonMalformed Reason = "malformed" // the header cannot be read
	ReasonExpired   Reason = "expired"   // timestamp outside the tolerance
	ReasonMismatch  Reason = "mismatch"  // no secret produces this signature
)

// ErrRejected is matched by every *Error (errors.Is).
var ErrRejected = errors.New("signature rejected")

// Error is a rejected delivery.
type Error struct {
	Reason Reason
	Header string // the header that was checked
	Detail string // what was wrong, safe to show the caller
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Header, e.Detail)
}

// Is reports whether target is ErrRejected.
func (e *Error) Is(target error) bool { return target == ErrRejected }

// ConfigError is one problem with a Config. New joins one per problem
// (errors.Join); errors.As on each finds the setting to blame.
type ConfigError struct {
	// Setting is what the problem is about: "scheme", "secrets",
	// "tolerance", or the name of one of the scheme's Settings.
	Setting string
	// Secret is the 1-based index in Secrets of the secret at fault, when
	// Setting is "secrets" and one secret is; else 0.
	Secret int
	// Msg names the setting and says what was expected; it never holds a
	// secret.
	Msg string
}

func (e *ConfigError) Error() string { return e.Msg }

// scheme is one entry of the scheme table: the settings it takes and how
// to build its verifier from a Config whose common fields are checked.
type scheme struct {
	settings []string
	build    func(Config) (Verifier, []error)
	// noDefaultTolerance: a Tolerance of 0 stays 0 (no timestamp check)
	// rather than DefaultTolerance, for providers whose retries keep the
	// first attempt's signed timestamp.
	noDefaultTolerance bool
	// publicKeys: the scheme verifies with public keys from its settings
	// and takes no secret.
	publicKeys bool
	// secretSettings are those of settings that are secrets, given in
	// Config.SecretSettings.
	secretSettings []string
}

var schemes = map[string]scheme{
	SchemeNone:             {build: func(Config) (Verifier, []error) { return none{}, nil }},
	SchemeStripe:           {build: newStripe},
	SchemeGitHub:           {build: newGitHub},
	SchemeStandardWebhooks: {build: newStandardWebhooks},
	SchemeHMAC:             {settings: hmacSettings, build: newHMAC},
	SchemeToken:            {settings: tokenSettings, build: newToken},
	SchemeBasic:            {settings: basicSettings, build: newBasic},
	SchemeSlack:            {build: newSlack},
	SchemeShopify:          {build: newShopify},
	SchemeMeta:             {settings: metaSettings, build: newMeta, secretSettings: metaSettings},
	SchemeZoom:             {build: newZoom},
	SchemeMercadoPago:      {build: newMercadoPago, noDefaultTolerance: true},
	SchemeEd25519:          {settings: ed25519Settings, build: newEd25519, publicKeys: true},
	SchemeDiscord:          {settings: ed25519Settings, build: newDiscord, publicKeys: true},
	SchemeSquare:           {settings: squareSettings, build: newSquare},
	SchemeTwilio:           {settings: twilioSettings, build: newTwilio},
	SchemeAdyen:            {build: newAdyen},
}

// Schemes lists the scheme names New accepts, sorted.
func Schemes() []string {
	return slices.Sorted(maps.Keys(schemes))
}

// Settings lists the names of the settings scheme takes in Config.Settings,
// in the order the documentation gives them; nil for an unknown scheme or
// one without settings.
func Settings(scheme string) []string {
	return slices.Clone(schemes[scheme].settings)
}

// SecretSetting reports whether the setting name of scheme is a secret,
// given in Config.SecretSettings (as a ${VAR} reference in a mapping file)
// rather than in Config.Settings.
func SecretSetting(scheme, name string) bool {
	return slices.Contains(schemes[scheme].secretSettings, name)
}

// New returns the verifier for cfg, or an error joining one *ConfigError
// per problem.
func New(cfg Config) (Verifier, error) {
	s, ok := schemes[cfg.Scheme]
	if !ok {
		return nil, &ConfigError{Setting: "scheme",
			Msg: fmt.Sprintf("unknown signature scheme %q (want one of %v)", cfg.Scheme, Schemes())}
	}
	var errs []error
	switch {
	case s.publicKeys && len(cfg.Secrets) > 0:
		errs = append(errs, &ConfigError{Setting: "secrets", Msg: fmt.Sprintf("scheme %s takes no secret: its public_key setting holds the provider's public key", cfg.Scheme)})
	case cfg.Scheme != SchemeNone && !s.publicKeys && len(cfg.Secrets) == 0:
		errs = append(errs, &ConfigError{Setting: "secrets", Msg: fmt.Sprintf("scheme %s needs at least one secret", cfg.Scheme)})
	}
	for i, sec := range cfg.Secrets {
		if sec == "" {
			errs = append(errs, &ConfigError{Setting: "secrets", Secret: i + 1, Msg: fmt.Sprintf("secret %d is empty", i+1)})
		}
	}
	if cfg.Tolerance < 0 {
		errs = append(errs, &ConfigError{Setting: "tolerance", Msg: fmt.Sprintf("tolerance must not be negative, got %s", cfg.Tolerance)})
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.SecretSettings)) {
		switch {
		case !slices.Contains(s.secretSettings, name):
			errs = append(errs, &ConfigError{Setting: name, Msg: fmt.Sprintf("scheme %s takes no secret setting %q", cfg.Scheme, name)})
		case cfg.SecretSettings[name] == "":
			errs = append(errs, &ConfigError{Setting: name, Msg: fmt.Sprintf("%s is empty", name)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Settings)) {
		if slices.Contains(s.secretSettings, name) {
			errs = append(errs, &ConfigError{Setting: name, Msg: fmt.Sprintf("%s is a secret: give it in SecretSettings", name)})
			continue
		}
		if slices.Contains(s.settings, name) {
			continue
		}
		msg := fmt.Sprintf("scheme %s takes no setting %q", cfg.Scheme, name)
		if len(s.settings) > 0 {
			msg += fmt.Sprintf(" (its settings: %s)", strings.Join(s.settings, ", "))
		}
		errs = append(errs, &ConfigError{Setting: name, Msg: msg})
	}
	if cfg.Tolerance == 0 && !s.noDefaultTolerance {
		cfg.Tolerance = DefaultTolerance
	}
	v, serrs := s.build(cfg)
	if errs = append(errs, serrs...); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
}

type none struct{}

func (none) Verify(http.Header, []byte, time.Time) error { return nil }
func (none) DeliveryHeader() string                      { return "" }

// CredentialHeaders names the headers a verifier reads a credential or a
// MAC from (a static token, a password, a generic HMAC's header whose name
// need not say "signature"): they are stripped from what mappings see and
// from dead letters.
func CredentialHeaders(v Verifier) []string {
	if c, ok := v.(interface{ credentialHeaders() []string }); ok {
		return c.credentialHeaders()
	}
	return nil
}

// credentialHeaders of each scheme that reads a credential or a MAC from a
// header. fixedMAC's is promoted to the provider schemes built on it
// (slack, zoom, meta, shopify...): X-Shopify-Hmac-Sha256 says no
// "signature".
func (v *token) credentialHeaders() []string      { return []string{v.header} }
func (*basic) credentialHeaders() []string        { return []string{authorization} }
func (v *hmacScheme) credentialHeaders() []string { return []string{v.header} }
func (v *fixedMAC) credentialHeaders() []string   { return []string{v.sigHeader} }
