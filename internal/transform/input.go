package transform

import (
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/deadletter"
)

// NewInput is the one way to build the input of a delivery: provider's
// body as received through the ingest door (IngestWebhook, IngestNATS or
// IngestEvents), at received. The input's Header is header with its keys
// in canonical form, without the headers named in drop (in any case:
// credentials the door has checked) and without any credential header
// (deadletter.SensitiveHeader: Authorization, Cookie, *token*,
// *signature*, ...): no mapping, event or dead letter may keep one. header itself
// is never modified; it is shared when there is nothing to change. The
// door then sets what only it knows: Payload, Envelope, DeliveryID, the
// webhook request's Query and the trace context.
func NewInput(provider, ingest string, body []byte, header http.Header, received time.Time, drop ...string) Input {
	return Input{Provider: provider, Ingest: ingest, Body: body, Header: deliveryHeader(header, drop), ReceivedAt: received}
}

// deliveryHeader returns h with canonical keys and without the keys named
// in drop: h itself when that changes nothing, else a copy (the values
// are shared, never modified).
func deliveryHeader(h http.Header, drop []string) http.Header {
	if !needsCopy(h, drop) {
		return h
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		if dropped(k, drop) {
			continue
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if prev, ok := out[ck]; ok { // two spellings of one name: keep every value
			v = append(prev[:len(prev):len(prev)], v...)
		}
		out[ck] = v
	}
	return out
}

// needsCopy reports whether h has a key to drop or one not in canonical
// form.
func needsCopy(h http.Header, drop []string) bool {
	for k := range h {
		if dropped(k, drop) || textproto.CanonicalMIMEHeaderKey(k) != k {
			return true
		}
	}
	return false
}

// dropped reports whether the header key k is a credential or one of
// drop, in any case.
func dropped(k string, drop []string) bool {
	if deadletter.SensitiveHeader(k) {
		return true
	}
	for _, d := range drop {
		if strings.EqualFold(k, d) {
			return true
		}
	}
	return false
}

// noQuery is the query of a delivery without one, shared: read-only.
var noQuery = map[string]string{}

// noHeaders are the headers of the environment of a file whose
// expressions do not read them, shared: read-only.
var noHeaders = map[string]string{}

// QueryValues returns the first value of each query parameter: what
// expressions see as `query` (empty when the delivery came through
// another door than the webhook one; a missing parameter reads as "").
// A parameter whose name is a credential's (deadletter.SensitiveHeader:
// *token*, *secret*, *signature*, ...) is not there, as such a header is
// not in `headers`.
func (in Input) QueryValues() map[string]string {
	if len(in.Query) == 0 {
		// Most deliveries have no query (every NATS and events-protocol
		// one): no map per delivery for them. Expressions only read it.
		return noQuery
	}
	out := make(map[string]string, len(in.Query))
	for k, v := range in.Query {
		if len(v) > 0 && !deadletter.SensitiveQuery(k) {
			out[k] = v[0]
		}
	}
	return out
}

// HeaderValues returns the first value of each header, under the names
// Header has: what expressions see as `headers` (a header without a value
// is not there, and reads as "").
func (in Input) HeaderValues() map[string]string {
	out := make(map[string]string, len(in.Header))
	for k, v := range in.Header {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}
