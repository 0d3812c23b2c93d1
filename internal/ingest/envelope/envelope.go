// Package envelope reads an events-protocol call the way the events
// endpoint hands it to the pipeline: Input turns an envelope into a
// transform.Input. The events door, dead-letter replay, the playground and
// fixtures all read envelopes through it, so that the same call keeps the
// same fields and idempotency key. It does not authenticate, route or
// answer calls (ingest's events door does).
package envelope

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/jsonx"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Input turns an events-protocol envelope into a transform input:
// `payload` is the envelope's payload, `envelope` its other fields. The
// kept body (for a dead letter) is the envelope with its auth values
// blanked: replay does not authenticate again, and no credential is ever
// stored. The delivery id, used when the mapping names no idempotency_key,
// is the SHA-256 of the name, the version and the payload (an envelope's
// id is a session id, shared by many calls).
func Input(req *eventsprotocol.Envelope, header http.Header, received time.Time) (transform.Input, error) {
	payload, err := jsonx.Decode(req.Payload)
	if err != nil {
		return transform.Input{}, fmt.Errorf("payload: %w", err)
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
		return transform.Input{}, err
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%d\n", req.Name, req.Version.Int())
	sum.Write(canonicalJSON(req.Payload))
	// The Authorization header, like auth, was checked by the endpoint:
	// nothing keeps it.
	in := transform.NewInput("", transform.IngestEvents, body, header, received, "Authorization")
	in.Payload, in.DeliveryID = payload, hex.EncodeToString(sum.Sum(nil))
	in.Envelope = transform.Envelope{
		Name: req.Name, Version: req.Version.Int(), ID: req.ID, FlowID: req.FlowID,
		Metadata: req.Metadata, Identity: req.Identity,
	}
	return in, nil
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
