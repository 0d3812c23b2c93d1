// Package signature verifies that a webhook delivery comes from its
// provider: each scheme checks the provider's signature over the raw body
// bytes, before anything is parsed, in constant time, with every configured
// secret (several may be active at once while one is rotated).
//
// Errors never say which secret was tried; they say what was wrong with the
// request (missing header, malformed header, stale timestamp, mismatch), and
// carry a Reason for metrics.
package signature

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Scheme names.
const (
	SchemeNone   = "none"
	SchemeStripe = "stripe"
	SchemeGitHub = "github"
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
	Secrets   []Secret      // active secrets, newest first; required by every scheme but none
	Tolerance time.Duration // timestamp tolerance for schemes that sign one; 0 means DefaultTolerance
}

// Verifier checks one delivery.
type Verifier interface {
	// Verify returns nil when the delivery is authentic, else an *Error.
	Verify(h http.Header, body []byte, now time.Time) error
	// DeliveryHeader names the header that carries the provider's delivery
	// id, the default source of the idempotency key; "" when the scheme has none.
	DeliveryHeader() string
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

type factory func(Config) (Verifier, error)

var schemes = map[string]factory{
	SchemeNone:   func(Config) (Verifier, error) { return none{}, nil },
	SchemeStripe: newStripe,
	SchemeGitHub: newGitHub,
}

// Schemes lists the scheme names New accepts, sorted.
func Schemes() []string {
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the verifier for cfg, or an error naming every problem.
func New(cfg Config) (Verifier, error) {
	f, ok := schemes[cfg.Scheme]
	if !ok {
		return nil, fmt.Errorf("unknown signature scheme %q (want one of %v)", cfg.Scheme, Schemes())
	}
	var errs []error
	if cfg.Scheme != SchemeNone && len(cfg.Secrets) == 0 {
		errs = append(errs, fmt.Errorf("scheme %s needs at least one secret", cfg.Scheme))
	}
	for i, s := range cfg.Secrets {
		if s == "" {
			errs = append(errs, fmt.Errorf("secret %d is empty", i+1))
		}
	}
	if cfg.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("tolerance must not be negative, got %s", cfg.Tolerance))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = DefaultTolerance
	}
	return f(cfg)
}

type none struct{}

func (none) Verify(http.Header, []byte, time.Time) error { return nil }
func (none) DeliveryHeader() string                      { return "" }
