package eventsprotocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Handler answers one kind of event. It returns the answer envelope,
// usually built with ResponseFor or ErrorFor. A non-nil error, or a nil
// answer, is answered "<name>:error" with the code UNHANDLED_ERROR and
// logged; the error's text is not sent.
type Handler interface {
	ServeEvent(ctx context.Context, req *Envelope) (*Envelope, error)
}

// HandlerFunc is a function used as a Handler.
type HandlerFunc func(ctx context.Context, req *Envelope) (*Envelope, error)

// ServeEvent calls f(ctx, req).
func (f HandlerFunc) ServeEvent(ctx context.Context, req *Envelope) (*Envelope, error) {
	return f(ctx, req)
}

// Server is an events endpoint: an http.Handler that reads envelopes and
// hands each to the Handler registered for its name and version.
//
// It ignores the request's path, so mounting it on a subtree serves every
// route the published clients use:
//
//	mux.Handle("/events/", srv) // serves /events/ and /events/others
//	mux.Handle("/events", srv)  // if clients post without the final slash
//
// Every answer is an envelope sent with HTTP 200, the outcome being in its
// name; only a method other than POST gets an HTTP error (405). For each
// request, in order:
//
//   - a body over the limit (WithMaxBodyBytes): badProtocol;
//   - with an authenticator (WithAuthenticator), before the envelope is
//     parsed: bytes that are not one JSON object, or no name, badProtocol;
//     a credential the authenticator refuses, "<name>:unauthorized", code
//     UNAUTHORIZED;
//   - bytes that Parse rejects: badProtocol (see BadProtocol);
//   - a name that breaks NamePattern: "<name>:bad_request", code
//     INVALID_EVENT_NAME, parameters {"name"};
//   - identity and auth both carrying values: "<name>:bad_request", code
//     IDENTITY_WITH_AUTH;
//   - the handler registered for the name and version, else the fallback
//     (WithFallback), else eventNotFound (see EventNotFoundFor).
type Server struct {
	maxBody  int64
	auth     Authenticator
	fallback Handler
	log      *slog.Logger
	readBody BodyReader
	refused  Refusal

	mu       sync.RWMutex
	handlers map[handlerKey]Handler
}

type handlerKey struct {
	name    string
	version int
}

// NewServer returns a Server with no handlers, configured by opts.
func NewServer(opts ...ServerOption) (*Server, error) {
	s := &Server{
		maxBody:  DefaultMaxBodyBytes,
		log:      slog.New(slog.DiscardHandler),
		handlers: map[handlerKey]Handler{},
	}
	var errs []error
	for _, opt := range opts {
		errs = append(errs, opt(s))
	}
	if err := join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Handle registers h for the event name at version. It panics, as
// http.ServeMux does, when name breaks NamePattern (no request could reach
// h), when h is nil, or when the name and version already have a handler.
func (s *Server) Handle(name string, version int, h Handler) {
	if err := ValidateName(name); err != nil {
		panic(fmt.Sprintf("eventsprotocol: Handle: %v", err))
	}
	if h == nil {
		panic(fmt.Sprintf("eventsprotocol: Handle(%q, %d): nil handler", name, version))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := handlerKey{name, version}
	if _, dup := s.handlers[key]; dup {
		panic(fmt.Sprintf("eventsprotocol: Handle(%q, %d): already registered", name, version))
	}
	s.handlers[key] = h
}

// HandleFunc registers f for the event name at version, as Handle does.
func (s *Server) HandleFunc(name string, version int, f func(ctx context.Context, req *Envelope) (*Envelope, error)) {
	if f == nil {
		panic(fmt.Sprintf("eventsprotocol: HandleFunc(%q, %d): nil function", name, version))
	}
	s.Handle(name, version, HandlerFunc(f))
}

// ServeHTTP answers a POST of one envelope with the answer envelope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: the events protocol takes POST", http.StatusMethodNotAllowed)
		return
	}
	var data []byte
	body, release, err := s.read(w, r)
	defer release()
	if busy := (*BusyError)(nil); errors.As(err, &busy) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(busy.RetryAfter.Round(time.Second)/time.Second))))
		// The body was not read: closing the connection spares the server
		// waiting for it before it answers.
		w.Header().Set("Connection", "close")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		data = mustMarshal(BadProtocol(fmt.Errorf("request body exceeds %d bytes", tooLarge.Limit)))
	} else if err != nil {
		data = mustMarshal(BadProtocol(fmt.Errorf("reading request body: %w", err)))
	} else {
		_, data = s.process(context.WithValue(r.Context(), httpRequestKey{}, r), body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data) // a failed write means the client has gone: nothing to tell it
}

// read reads r's body with the server's BodyReader, else whole under the
// size limit.
func (s *Server) read(w http.ResponseWriter, r *http.Request) ([]byte, func(), error) {
	if s.readBody != nil {
		return s.readBody(w, r, s.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	return body, func() {}, err
}

// Process answers the envelope in body, whatever carried it: ServeHTTP
// uses it, and so can another transport (a message queue's request and
// reply). It applies every rule of ServeHTTP but the body limit.
func (s *Server) Process(ctx context.Context, body []byte) *Envelope {
	answer, _ := s.process(ctx, body)
	return answer
}

// process returns the answer to body, and the answer encoded.
func (s *Server) process(ctx context.Context, body []byte) (*Envelope, []byte) {
	refuse := func(code, name string, answer *Envelope) (*Envelope, []byte) {
		if s.refused != nil {
			s.refused(ctx, code, name)
		}
		return encoded(answer)
	}
	if s.auth != nil {
		p, err := Peek(body)
		if err != nil {
			return refuse(CodeInvalidCommunicationProtocol, "", BadProtocol(err))
		}
		if err := s.auth(ctx, p); err != nil {
			if p.Name == "" {
				return refuse(CodeUnauthorized, "", BadProtocol(&MissingFieldError{Field: "name"}))
			}
			return refuse(CodeUnauthorized, p.Name, builtIn(ErrorFor(p.Envelope(), SuffixUnauthorized, CodeUnauthorized, nil)))
		}
	}
	req, err := Parse(body)
	if err != nil {
		return refuse(CodeInvalidCommunicationProtocol, "", BadProtocol(err))
	}
	if err := ValidateName(req.Name); err != nil {
		return refuse(CodeInvalidEventName, req.Name, builtIn(ErrorFor(req, SuffixBadRequest, CodeInvalidEventName, map[string]any{"name": req.Name})))
	}
	if err := req.ValidateIdentityAuth(); err != nil {
		return refuse(CodeIdentityWithAuth, req.Name, builtIn(ErrorFor(req, SuffixBadRequest, CodeIdentityWithAuth, nil)))
	}
	h := s.handler(req)
	if h == nil {
		return encoded(EventNotFoundFor(req))
	}
	answer, err := h.ServeEvent(ctx, req)
	var data []byte
	switch {
	case err != nil:
	case answer == nil:
		err = errors.New("handler returned no answer and no error")
	default:
		if data, err = marshal(answer); err != nil {
			err = fmt.Errorf("encoding the handler's answer %q: %w", answer.Name, err)
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "events handler failed", "event", req.Name, "version", req.Version.Int(), "flowId", req.FlowID, "err", err)
		return encoded(builtIn(ErrorFor(req, SuffixError, CodeUnhandledError, nil)))
	}
	return answer, data
}

// handler returns the handler for req's name and version, the fallback,
// or nil.
func (s *Server) handler(req *Envelope) Handler {
	s.mu.RLock()
	h := s.handlers[handlerKey{req.Name, req.Version.Int()}]
	s.mu.RUnlock()
	if h == nil && s.fallback != nil {
		return s.fallback
	}
	return h
}

// encoded returns an answer this package built, and the answer encoded.
func encoded(answer *Envelope) (*Envelope, []byte) {
	return answer, mustMarshal(answer)
}

// builtIn unwraps an answer this package builds from values that always
// encode and a known suffix.
func builtIn(answer *Envelope, err error) *Envelope {
	if err != nil {
		panic("eventsprotocol: building a built-in answer: " + err.Error())
	}
	return answer
}

type httpRequestKey struct{}

// HTTPRequest returns the HTTP request that carried the event a Handler
// is serving, to read its path (/events/others) or headers. It returns
// false for events that did not come through ServeHTTP.
func HTTPRequest(ctx context.Context) (*http.Request, bool) {
	r, ok := ctx.Value(httpRequestKey{}).(*http.Request)
	return r, ok
}
