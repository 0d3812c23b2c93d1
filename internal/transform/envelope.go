package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

// EnvelopeInput turns an events-protocol envelope into a transform input:
// `payload` is the envelope's payload, `envelope` its other fields. The
// kept body (for a dead letter) is the envelope with its auth values
// blanked: replay does not authenticate again, and no credential is ever
// stored. The delivery id, used when the mapping names no idempotency_key,
// is the SHA-256 of the name, the version and the payload (an envelope's
// id is a session id, shared by many calls).
func EnvelopeInput(req *eventsprotocol.Envelope, header http.Header, received time.Time) (Input, error) {
	payload, err := jsonx.Decode(req.Payload)
	if err != nil {
		return Input{}, fmt.Errorf("payload: %w", err)
	}
	kept := *req
	if len(req.Auth) > 0 {
		kept.Auth = make(map[string]any, len(req.Auth))
		for k := range req.Auth {
			kept.Auth[k] = "[redacted]"
		}
	}
	body, err := json.Marshal(kept)
	if err != nil {
		return Input{}, err
	}
	headers := map[string]string{}
	if header != nil {
		header = header.Clone()
		header.Del("Authorization")
		for k, v := range header {
			if len(v) > 0 {
				headers[k] = v[0]
			}
		}
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%d\n", req.Name, req.Version.Int())
	sum.Write(canonicalJSON(req.Payload))
	return Input{
		Ingest: IngestEvents, Body: body, Payload: payload, Headers: headers, Header: header,
		ReceivedAt: received, DeliveryID: hex.EncodeToString(sum.Sum(nil)),
		Envelope: Envelope{
			Name: req.Name, Version: req.Version.Int(), ID: req.ID, FlowID: req.FlowID,
			Metadata: req.Metadata, Identity: req.Identity,
		},
	}, nil
}

// canonicalJSON re-encodes a payload so that the same payload written with
// other spacing or key order hashes alike.
func canonicalJSON(raw json.RawMessage) []byte {
	v, err := jsonx.Decode(raw) // numbers as the literal when float64 would round them
	if err != nil {
		return raw
	}
	b, err := json.Marshal(v) // maps are written with sorted keys
	if err != nil {
		return raw
	}
	return b
}
