package transform

import (
	"time"

	"github.com/google/uuid"
)

// appendEventJSON appends the structured-mode CloudEvent of an event to
// buf, byte for byte what sdk-go's event.WriteJson writes for the
// EventContextV1 that Rule.write describes (TestEventJSONMatchesSDK and
// FuzzEventJSONMatchesSDK hold it to that): the attributes in the SDK's
// order, data as it is, then the extensions sorted by name, each string
// escaped as the SDK's JSON stream (jsoniter's fastest configuration)
// escapes it. Writing it here saves the SDK's event, its extension map and
// its stream per event.
func (r *Rule) appendEventJSON(buf []byte, id string, p eventParts) []byte {
	buf = append(buf, `{"specversion":"1.0","id":`...)
	buf = appendCEString(buf, id)
	buf = append(buf, `,"source":`...)
	buf = appendCEString(buf, p.srcURL.String())
	buf = append(buf, `,"type":`...)
	buf = appendCEString(buf, r.Type)
	buf = append(buf, `,"subject":`...)
	buf = appendCEString(buf, p.subject)
	buf = append(buf, `,"datacontenttype":"application/json"`...)
	if r.dataSchemaURI != nil {
		buf = append(buf, `,"dataschema":`...)
		buf = appendCEString(buf, r.dataSchemaText)
	}
	buf = append(buf, `,"time":"`...)
	buf = p.time.UTC().AppendFormat(buf, time.RFC3339Nano) // types.Timestamp's String; no character to escape
	buf = append(buf, `","data":`...)
	buf = append(buf, p.data...)
	// The extensions, sorted by name: flowid, idempotencykey, traceparent,
	// tracestate.
	if p.flow != "" {
		buf = append(buf, `,"`+ExtFlowID+`":`...)
		buf = appendCEString(buf, p.flow)
	}
	buf = append(buf, `,"`+ExtIdempotencyKey+`":"`...)
	buf = appendUUID(buf, p.key)
	buf = append(buf, '"')
	if p.tc.parent != "" {
		buf = append(buf, `,"`+ExtTraceParent+`":`...)
		buf = appendCEString(buf, p.tc.parent)
		if p.tc.state != "" {
			buf = append(buf, `,"`+ExtTraceState+`":`...)
			buf = appendCEString(buf, p.tc.state)
		}
	}
	return append(buf, '}')
}

// appendUUID appends u's canonical text, as u.String() writes it.
func appendUUID(buf []byte, u uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hex[b>>4], hex[b&0xF])
	}
	return buf
}

// appendCEString appends s quoted as jsoniter's Stream.WriteString quotes
// it without HTML escaping: '"' and '\\' escaped, \n \r \t as such, other
// bytes below 0x20 as \u00XX, every other byte (invalid UTF-8 included) as
// it is.
func appendCEString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch b {
		case '"', '\\':
			buf = append(buf, '\\', b)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
