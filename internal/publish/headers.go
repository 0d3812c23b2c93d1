package publish

import (
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

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

// EventHeader is the header of an event message: its content type and the
// CloudEvents attributes a subscriber filters on without parsing the
// event. extra leaves room for headers the caller adds (trace context).
func EventHeader(id, typ, source, subject string, extra int) nats.Header {
	h := make(nats.Header, 5+extra)
	h[HeaderContentType] = []string{ContentTypeCloudEvents}
	h[HeaderCEID] = []string{id}
	h[HeaderCEType] = []string{typ}
	h[HeaderCESource] = []string{source}
	h[HeaderCESubject] = []string{subject}
	return h
}
