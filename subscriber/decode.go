package subscriber

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// The NATS protocol binding of CloudEvents: binary mode carries the
// attributes in ce-* headers, structured mode the whole event in the body.
// The bridge stores structured mode (Content-Type
// application/cloudevents+json, plus ce-id, ce-type, ce-source and
// ce-subject headers for filtering, but no ce-specversion): a message is
// read in binary mode only when it has a ce-specversion header, as sdk-go's
// own NATS bindings decide.
const cePrefix = "ce-"

var ceSpecs = spec.WithPrefix(cePrefix)

// natsMessage is a NATS message as a binding.Message for sdk-go.
type natsMessage struct {
	header nats.Header
	data   []byte
}

func (m natsMessage) ReadEncoding() binding.Encoding {
	if m.header.Get(ceSpecs.PrefixedSpecVersionName()) != "" {
		return binding.EncodingBinary
	}
	return binding.EncodingStructured
}

func (m natsMessage) ReadStructured(ctx context.Context, w binding.StructuredWriter) error {
	if m.ReadEncoding() != binding.EncodingStructured {
		return binding.ErrNotStructured
	}
	return w.SetStructuredEvent(ctx, format.JSON, bytes.NewReader(m.data))
}

func (m natsMessage) ReadBinary(ctx context.Context, w binding.BinaryWriter) error {
	version := ceSpecs.Version(m.header.Get(ceSpecs.PrefixedSpecVersionName()))
	if version == nil {
		return binding.ErrNotBinary
	}
	for k, v := range m.header {
		if len(v) == 0 {
			continue
		}
		var err error
		switch lk := strings.ToLower(k); {
		case strings.HasPrefix(lk, cePrefix):
			if attr := version.Attribute(lk); attr != nil {
				err = w.SetAttribute(attr, v[0])
			} else {
				err = w.SetExtension(strings.TrimPrefix(lk, cePrefix), v[0])
			}
		case lk == "content-type":
			err = w.SetAttribute(version.AttributeFromKind(spec.DataContentType), v[0])
		}
		if err != nil {
			return err
		}
	}
	if len(m.data) > 0 {
		return w.SetData(bytes.NewReader(m.data))
	}
	return nil
}

func (m natsMessage) Finish(error) error { return nil }

// GetAttribute and GetExtension make natsMessage a
// binding.MessageMetadataReader, which sdk-go's binary path needs.
func (m natsMessage) GetAttribute(k spec.Kind) (spec.Attribute, any) {
	version := ceSpecs.Version(m.header.Get(ceSpecs.PrefixedSpecVersionName()))
	if version == nil {
		return nil, nil
	}
	attr := version.AttributeFromKind(k)
	if attr == nil {
		return nil, nil
	}
	if v := m.header.Get(attr.PrefixedName()); v != "" {
		return attr, v
	}
	return attr, nil
}

func (m natsMessage) GetExtension(name string) any {
	if v := m.header.Get(cePrefix + name); v != "" {
		return v
	}
	return nil
}

// Decode reads a NATS message as the bridge stores it (or any CloudEvent
// in the NATS binding's binary mode) with sdk-go, and returns the event and
// its structured JSON form: the stored body itself in structured mode, the
// event serialized by sdk-go in binary mode. The event is valid
// CloudEvents 1.0; whether it keeps the bridge's profile is checked apart
// (Run dead-letters it with reason invalid_event when it does not).
func Decode(header nats.Header, data []byte) (e *event.Event, structured []byte, err error) {
	defer func() { // sdk-go reads untrusted bytes here: a panic is a refusal
		if v := recover(); v != nil {
			e, structured, err = nil, nil, fmt.Errorf("not a CloudEvent: decoder panicked: %v", v)
		}
	}()
	m := natsMessage{header: header, data: data}
	e, err = binding.ToEvent(context.Background(), m)
	if err == nil {
		err = e.Validate() // CloudEvents 1.0 itself; the profile is stricter
	}
	if err != nil {
		return nil, nil, fmt.Errorf("not a CloudEvent: %w", err)
	}
	if m.ReadEncoding() == binding.EncodingStructured {
		return e, data, nil
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, nil, fmt.Errorf("not a CloudEvent: %w", err)
	}
	return e, raw, nil
}
