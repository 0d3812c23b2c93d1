package eventsprotocol

import "time"

// SendOption sets an optional part of a call to Send.
type SendOption func(*sendConfig)

type sendConfig struct {
	id, flowID               string
	identity, auth, metadata map[string]any
	timeout                  time.Duration
}

// WithID sets the envelope's id (the terminal's session); the default is
// a fresh UUID.
func WithID(id string) SendOption { return func(c *sendConfig) { c.id = id } }

// WithFlowID sets the envelope's flowId, to continue a flow; the default
// is a fresh UUID, which starts one.
func WithFlowID(flowID string) SendOption { return func(c *sendConfig) { c.flowID = flowID } }

// WithIdentity sets the terminal's identity. It must not be combined with
// WithAuth unless one of them carries no values.
func WithIdentity(identity map[string]any) SendOption {
	return func(c *sendConfig) { c.identity = identity }
}

// WithAuth sets the authentication keys. It must not be combined with
// WithIdentity unless one of them carries no values.
func WithAuth(auth map[string]any) SendOption { return func(c *sendConfig) { c.auth = auth } }

// WithMetadata sets informative metadata.
func WithMetadata(metadata map[string]any) SendOption {
	return func(c *sendConfig) { c.metadata = metadata }
}

// WithTimeout bounds this call, overriding Client.Timeout; it must not be
// negative. The default is Client.Timeout.
func WithTimeout(d time.Duration) SendOption { return func(c *sendConfig) { c.timeout = d } }
