package eventsprotocol

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// DefaultMaxResponseBytes bounds the answer a Client reads when its
// MaxResponseBytes is 0.
const DefaultMaxResponseBytes = 16 << 20

// Client sends events to one events endpoint. Its zero value is not usable
// (URL is required); it is safe for concurrent use.
type Client struct {
	// URL is the events endpoint, e.g. "http://host/events/", or
	// "http://host/events/others" for calls without authentication.
	URL string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds each call that has no WithTimeout; 0 means no bound
	// beyond the context's.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer's body; 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Send sends one event to the events endpoint url with http.DefaultClient
// and returns the answer. See Client.Send.
func Send(ctx context.Context, url, name string, version int, payload any, opts ...SendOption) (*Envelope, error) {
	c := Client{URL: url}
	return c.Send(ctx, name, version, payload, opts...)
}

// Send sends the event name, at version (as a JSON number), with payload
// (encoded with encoding/json) and returns the answer "<name>:response".
// The id and flowId are fresh UUIDs unless given with WithID and
// WithFlowID.
//
// Any other answer is returned as an error whose type says which
// (*BadRequestError, *EventNotFoundError, ... ; see ResponseError), and
// which holds the answer. A transport failure, an HTTP status other than
// 200 (*StatusError) and an answer that is not an envelope are errors too.
func (c *Client) Send(ctx context.Context, name string, version int, payload any, opts ...SendOption) (*Envelope, error) {
	var cfg sendConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.timeout < 0 {
		return nil, fmt.Errorf("%w: WithTimeout(%v): want a duration >= 0", ErrInvalidOption, cfg.timeout)
	}
	raw, err := marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: sending %q: encoding payload: %w", name, err)
	}
	req := &Envelope{
		Name:     name,
		Version:  IntVersion(version),
		ID:       cfg.id,
		FlowID:   cfg.flowID,
		Payload:  raw,
		Identity: cfg.identity,
		Auth:     cfg.auth,
		Metadata: cfg.metadata,
	}
	if req.ID == "" {
		req.ID = uuid.NewString()
	}
	if req.FlowID == "" {
		req.FlowID = uuid.NewString()
	}
	return c.do(ctx, req, cfg.timeout)
}

// Do sends an envelope built by the caller, as it is, and returns the
// answer as Send does. It is the way to send a version as a string
// (StringVersion) or to forward a request.
func (c *Client) Do(ctx context.Context, req *Envelope) (*Envelope, error) {
	return c.do(ctx, req, 0)
}

func (c *Client) do(ctx context.Context, req *Envelope, timeout time.Duration) (*Envelope, error) {
	if err := join(req.ValidateRequired(), req.ValidateIdentityAuth()); err != nil {
		return nil, fmt.Errorf("eventsprotocol: not sending %q: %w", req.Name, err)
	}
	body, err := marshal(req)
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = c.Timeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	data, err := c.post(ctx, req.Name, body)
	if err != nil {
		return nil, err
	}
	answer, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: answer to %q from %s: %w", req.Name, c.URL, err)
	}
	if err := CheckResponse(answer); err != nil {
		return nil, err
	}
	return answer, nil
}

// post sends the body of the event name and returns the answer's body,
// which must come with 200.
func (c *Client) post(ctx context.Context, name string, body []byte) ([]byte, error) {
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: sending %q: %w", name, err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", "application/json")
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(httpReq)
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: sending %q: %w", name, err)
	}
	defer resp.Body.Close()

	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("eventsprotocol: sending %q: reading the answer from %s: %w", name, c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		const shown = 512
		return nil, &StatusError{URL: c.URL, StatusCode: resp.StatusCode, Body: data[:min(len(data), shown)]}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("eventsprotocol: sending %q: the answer from %s exceeds %d bytes", name, c.URL, limit)
	}
	return data, nil
}
