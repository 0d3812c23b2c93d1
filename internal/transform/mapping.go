package transform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/signature"
)

// Mapping is one compiled mapping file: a provider's rules.
type Mapping struct {
	Provider     string
	Module       string // the file's default module
	File         string
	ContentTypes []string           // accepted webhook content types
	Verifier     signature.Verifier // nil when the file does not accept webhooks
	Redact       []string

	accepts      map[string]bool
	idemKey      *program
	secretRefs   []SecretRef
	warnings     []*Warning // found at load (warning.go)
	backfill     *Backfill  // the backfill: block; nil without one
	rules        []*Rule
	reads        *jsonx.Paths // what the expressions read of a payload
	readsHeaders bool         // an expression may read headers
	providerLine int
	providerCol  int
}

// Accepts reports whether the file serves the ingest kind.
func (m *Mapping) Accepts(kind string) bool { return m.accepts[kind] }

// Rules returns the compiled rules in file order.
func (m *Mapping) Rules() []*Rule { return m.rules }

// Input is what an ingestor hands the transform; NewInput builds it.
type Input struct {
	Provider string
	Ingest   string // IngestWebhook, IngestNATS, IngestEvents or IngestBackfill
	Body     []byte // the raw bytes, kept for the dead letters
	Payload  any    // the parsed body (see Decode)
	// Header is every header as received, canonical names, without the
	// credentials the door checked; kept on dead letters. Expressions see
	// the first value of each as `headers` (HeaderValues).
	Header http.Header
	// Query is the webhook request's query parameters (nil for the other
	// doors); expressions see the first value of each as `query`
	// (QueryValues).
	Query      url.Values
	ReceivedAt time.Time
	Envelope   Envelope
	// DeliveryID names the delivery when the mapping's idempotency_key does
	// not: the events protocol's hash of name, version and payload (an
	// envelope's id is a session id, shared by many calls). Empty: the
	// signature scheme's delivery header, else the raw body's SHA-256.
	DeliveryID string
	// TraceParent and TraceState are the W3C trace context the delivery's
	// events carry (the CloudEvents distributed-tracing extension, and the
	// message headers); empty: none. The ingestor validates them
	// (tracing.Parse) and, when spans are exported, puts its own span there.
	TraceParent, TraceState string
}

// Failure says why a payload cannot become an event.
type Failure struct {
	Reason deadletter.Reason // no_rule, eval_error, invalid_event or schema
	Field  string            // the rule's field that failed, e.g. "data.amount"
	Err    error
}

func (f *Failure) Error() string {
	if f.Field == "" {
		return f.Err.Error()
	}
	return f.Field + ": " + f.Err.Error()
}

func (f *Failure) Unwrap() error { return f.Err }

// Result of Apply: events to publish, a drop, or a failure to dead-letter.
type Result struct {
	Key     uuid.UUID // the delivery's idempotency key
	Rule    *Rule     // the rule that matched; nil when none did
	Events  []Event
	Dropped bool
	Failure *Failure
}

// ErrUnsupportedContentType is returned by Decode for a content type the
// file does not accept.
var ErrUnsupportedContentType = errors.New("unsupported content type")

// AcceptsContentType reports whether the media type of a Content-Type header
// value is one the file takes.
func (m *Mapping) AcceptsContentType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && slices.Contains(m.ContentTypes, mt)
}

// Decode parses a body: JSON into maps, lists and float64 (json.Number
// for a literal float64 would round), or a form into a
// map of each field's first value. Of a JSON body it builds only what the
// file's expressions can read (the values jsonx.Decode gives at those paths);
// the body is validated whole all the same.
func (m *Mapping) Decode(contentType string, body []byte) (any, error) {
	mt := contentType // most often one of the types, as written: nothing to parse
	if !slices.Contains(m.ContentTypes, mt) {
		var err error
		mt, _, err = mime.ParseMediaType(contentType)
		if err != nil || !slices.Contains(m.ContentTypes, mt) {
			return nil, fmt.Errorf("%w %q (this provider takes %v)", ErrUnsupportedContentType, contentType, m.ContentTypes)
		}
	}
	if mt == ContentForm {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("form body: %w", err)
		}
		out := make(map[string]any, len(q))
		for k, v := range q {
			out[k] = v[0]
		}
		return out, nil
	}
	return jsonx.DecodePaths(body, m.reads)
}

// Apply runs the file's rules over in: the first rule whose `when` holds
// builds the event(s). Apply never panics on a payload and never returns an
// event that breaks the profile.
//
// The evaluation has a budget of DefaultLimits: a delivery that exceeds it
// fails with deadletter.ReasonEvalError and a *BudgetError.
func (m *Mapping) Apply(in Input) Result {
	return m.ApplyContext(context.Background(), in, DefaultLimits)
}

// ApplyContext is Apply within limits, stopped when ctx is done (the
// failure's error then wraps the context's cause).
func (m *Mapping) ApplyContext(ctx context.Context, in Input, limits Limits) Result {
	e := m.newEnv(ctx, in, limits)
	for _, r := range m.rules {
		ok, err := r.when.run(e)
		if err != nil {
			return Result{Key: m.fallbackKey(in, e), Rule: r, Failure: &Failure{deadletter.ReasonEvalError, "when", err}}
		}
		if ok != true {
			continue
		}
		if r.Drop {
			return Result{Key: m.fallbackKey(in, e), Rule: r, Dropped: true}
		}
		key, err := m.deliveryKey(r, in, e)
		if err != nil {
			if strings.Contains(err.Error(), "nil") {
				err = fmt.Errorf("%w%s", err, nilHintIn(r.fieldProgram(m, "idempotency_key"), in))
			}
			return Result{Key: m.fallbackKey(in, e), Rule: r, Failure: &Failure{deadletter.ReasonEvalError, "idempotency_key", err}}
		}
		events, f := r.build(m.Provider, key, e, in.ReceivedAt, traceContext{in.TraceParent, in.TraceState})
		switch {
		case f != nil && (errors.Is(f.Err, errMissing) || strings.Contains(f.Err.Error(), "cannot fetch ")):
			f.Err = fmt.Errorf("%w%s", f.Err, missingHintIn(r, f.Field, in))
		case f != nil && f.Reason == deadletter.ReasonEvalError && strings.Contains(f.Err.Error(), "nil"):
			// string + <nil>, argument is nil: name the path the payload lacks.
			f.Err = fmt.Errorf("%w%s", f.Err, nilHintIn(r.fieldProgram(m, f.Field), in))
		}
		return Result{Key: key, Rule: r, Events: events, Failure: f}
	}
	return Result{Key: m.fallbackKey(in, e), Failure: &Failure{deadletter.ReasonNoRule, "", errNoRule}}
}

// evaluation is what one delivery's evaluation allocates: its
// environment and its budget, together.
type evaluation struct {
	env    env
	budget budget
}

// newEnv gives the environment the expressions of in are evaluated in,
// with a budget of limits. Its headers are made only when an expression
// of the file can read them.
func (m *Mapping) newEnv(ctx context.Context, in Input, limits Limits) *env {
	ev := new(evaluation)
	ev.budget.init(ctx, limits)
	ev.env = env{Payload: in.Payload, Headers: noHeaders, Query: in.QueryValues(), Provider: m.Provider, ReceivedAt: in.ReceivedAt,
		Envelope: in.Envelope, Budget: &ev.budget}
	if m.readsHeaders {
		ev.env.Headers = in.HeaderValues()
	}
	return &ev.env
}

// Matches reports whether one of the file's rules takes in: the events
// protocol tries the files that accept it in turn. A `when` that fails on
// the payload counts as taking it (Apply then dead-letters it, naming the
// rule), rather than letting another file's rule answer by accident.
func (m *Mapping) Matches(in Input) bool {
	e := m.newEnv(context.Background(), in, DefaultLimits)
	for _, r := range m.rules {
		if ok, err := r.when.run(e); err != nil || ok == true {
			return true
		}
	}
	return false
}

// deliveryKey derives the delivery's idempotency key: the rule's
// idempotency_key, else the file's, else the signature scheme's delivery id
// header (webhooks), else the ingestor's DeliveryID, else the SHA-256 of the
// raw body.
func (m *Mapping) deliveryKey(r *Rule, in Input, e *env) (uuid.UUID, error) {
	p := r.idemKey
	if p == nil {
		p = m.idemKey
	}
	if p != nil {
		v, err := p.run(e)
		if err != nil {
			return uuid.UUID{}, err
		}
		s, err := idString(v)
		if err != nil {
			return uuid.UUID{}, err
		}
		return idem.KeyFor(m.Provider, s), nil
	}
	if m.Verifier != nil {
		if h := m.Verifier.DeliveryHeader(); h != "" && in.Header.Get(h) != "" {
			return idem.KeyFor(m.Provider, in.Header.Get(h)), nil
		}
	}
	if in.DeliveryID != "" {
		return idem.KeyFor(m.Provider, in.DeliveryID), nil
	}
	sum := sha256.Sum256(in.Body)
	return idem.KeyFor(m.Provider, hex.EncodeToString(sum[:])), nil
}

// fallbackKey is the key of a delivery that yields no event (dropped or
// dead-lettered): the file's key when it can be computed, else the body's.
func (m *Mapping) fallbackKey(in Input, e *env) uuid.UUID {
	k, err := m.deliveryKey(&Rule{}, in, e)
	if err != nil {
		sum := sha256.Sum256(in.Body)
		return idem.KeyFor(m.Provider, hex.EncodeToString(sum[:]))
	}
	return k
}

// idString renders an id value: strings as they are, integral numbers
// without a decimal point.
func idString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return "", errors.New("is empty")
		}
		return x, nil
	case json.Number:
		return string(x), nil
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case nil:
		return "", errMissing
	}
	return "", fmt.Errorf("must be a string or a number, got %T", v)
}
