package publish

import "github.com/nats-io/nats.go/jetstream"

// Headers of an event message. The caller sets them in Message.Header (the
// Publisher sets HeaderMsgID from Message.MsgID).
const (
	HeaderMsgID       = jetstream.MsgIDHeader // "Nats-Msg-Id": the idempotencykey
	HeaderCEID        = "ce-id"
	HeaderCEType      = "ce-type"
	HeaderCESource    = "ce-source"
	HeaderCESubject   = "ce-subject"
	HeaderContentType = "Content-Type"

	// ContentTypeCloudEvents is the HeaderContentType value of an event:
	// a structured-mode CloudEvent in JSON.
	ContentTypeCloudEvents = "application/cloudevents+json"
)
