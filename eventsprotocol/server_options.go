package eventsprotocol

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// DefaultMaxBodyBytes bounds a request's body unless WithMaxBodyBytes says
// otherwise: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// ServerOption configures a Server; it fails with an error wrapping
// ErrInvalidOption when its argument is out of range.
type ServerOption func(*Server) error

// WithMaxBodyBytes bounds a request's body to n bytes (n > 0); a larger
// body is answered with badProtocol. The default is DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) ServerOption {
	return func(s *Server) error {
		if n <= 0 {
			return fmt.Errorf("%w: WithMaxBodyBytes(%d): want a size > 0", ErrInvalidOption, n)
		}
		s.maxBody = n
		return nil
	}
}

// WithFallback makes h answer every valid request that no registered
// handler takes, instead of eventNotFound: a catch-all for a server that
// routes by name itself. h may still answer EventNotFoundFor(req). The
// default is no fallback.
func WithFallback(h Handler) ServerOption {
	return func(s *Server) error {
		if h == nil {
			return fmt.Errorf("%w: WithFallback(nil): want a handler", ErrInvalidOption)
		}
		s.fallback = h
		return nil
	}
}

// WithLogger sets where the server logs failed handlers. The default
// discards the logs.
func WithLogger(log *slog.Logger) ServerOption {
	return func(s *Server) error {
		if log == nil {
			return fmt.Errorf("%w: WithLogger(nil): want a logger", ErrInvalidOption)
		}
		s.log = log
		return nil
	}
}

// Authenticator checks a request's credential before its envelope is
// parsed, from what Peek reads of it (auth.token, and the name, version,
// id and flowId for the log); a non-nil error refuses the request. The
// context carries the HTTP request (see HTTPRequest) when there is one.
type Authenticator func(ctx context.Context, p Peeked) error

// WithAuthenticator makes the server authenticate every request with a
// before parsing its envelope: an unauthenticated caller never reaches the
// parser, only Peek's scan. A refused request is answered
// "<name>:unauthorized", code UNAUTHORIZED, with no reason given. The
// default is no authentication.
func WithAuthenticator(a Authenticator) ServerOption {
	return func(s *Server) error {
		if a == nil {
			return fmt.Errorf("%w: WithAuthenticator(nil): want an authenticator", ErrInvalidOption)
		}
		s.auth = a
		return nil
	}
}

// BodyReader reads a request's whole body, at most limit bytes: a larger
// body is an *http.MaxBytesError. release gives back what reading it held
// and is called once the answer is written; it is never nil.
type BodyReader func(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error)

// WithBodyReader makes the server read request bodies with read instead of
// reading each whole into a buffer of its own: a server that bounds the
// memory every request's body holds at once passes its reader. An error
// that wraps a *BusyError is answered with HTTP 503 and Retry-After, before
// anything is parsed; any other, as a body that cannot be read
// (badProtocol).
func WithBodyReader(read BodyReader) ServerOption {
	return func(s *Server) error {
		if read == nil {
			return fmt.Errorf("%w: WithBodyReader(nil): want a reader", ErrInvalidOption)
		}
		s.readBody = read
		return nil
	}
}

// BusyError says that the server cannot take a request now, and when to
// try again: a BodyReader's answer when the memory for bodies is spent.
type BusyError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *BusyError) Error() string { return "busy: " + e.Err.Error() }

func (e *BusyError) Unwrap() error { return e.Err }

// Refusal observes a request the server answered itself, before any
// handler: code is the answer's error code (CodeInvalidCommunicationProtocol
// for badProtocol, CodeUnauthorized, CodeInvalidEventName,
// CodeIdentityWithAuth) and name the request's name as far as it was read
// ("" when none).
type Refusal func(ctx context.Context, code, name string)

// WithRefusals makes the server call observe for every request it answers
// itself, so that its caller can count and log those too. The default
// observes nothing.
func WithRefusals(observe Refusal) ServerOption {
	return func(s *Server) error {
		if observe == nil {
			return fmt.Errorf("%w: WithRefusals(nil): want a func", ErrInvalidOption)
		}
		s.refused = observe
		return nil
	}
}
