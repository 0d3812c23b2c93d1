package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

// fixtureEnvelopeInput is a TEMPORARY copy of envelope.Input
// (internal/ingest/envelope), for the fixtures only: they still live in
// transform, which cannot import the ingest side. Once the fixtures have
// their own package (branch tsplit), they call envelope.Input and this
// file is deleted.
func fixtureEnvelopeInput(req *eventsprotocol.Envelope, header http.Header, received time.Time) (Input, error) {
	payload, err := DecodeJSON(req.Payload)
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
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%d\n", req.Name, req.Version.Int())
	sum.Write(fixtureCanonicalJSON(req.Payload))
	// The Authorization header, like auth, was checked by the endpoint:
	// nothing keeps it.
	in := NewInput("", IngestEvents, body, header, received, "Authorization")
	in.Payload, in.DeliveryID = payload, hex.EncodeToString(sum.Sum(nil))
	in.Envelope = Envelope{
		Name: req.Name, Version: req.Version.Int(), ID: req.ID, FlowID: req.FlowID,
		Metadata: req.Metadata, Identity: req.Identity,
	}
	return in, nil
}

// fixtureCanonicalJSON is envelope's canonicalJSON: it re-encodes a payload so that the same payload written with
// other spacing or key order hashes alike.
func fixtureCanonicalJSON(raw json.RawMessage) []byte {
	v, err := DecodeJSON(raw) // numbers as the literal when float64 would round them
	if err != nil {
		return raw
	}
	b, err := json.Marshal(v) // maps are written with sorted keys
	if err != nil {
		return raw
	}
	return b
}
