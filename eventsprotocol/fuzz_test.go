package eventsprotocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseEnvelope checks that Parse never panics, fails only with the
// package's typed errors, and that a parsed envelope encodes to bytes that
// parse again to the same envelope. The seeds run in the normal suite.
func FuzzParseEnvelope(f *testing.F) {
	for _, seed := range []string{
		jsClientRequest,
		`{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":{"name":"Ana"}}`,
		`{"name":"user:name:set","version":"1","id":"i","flowId":"f","payload":null,"identity":{"userId":1},"auth":{}}`,
		`{"name":"a:b","version":1.0,"id":"i","flowId":"f","payload":[1,"<&>",{"x":1e400}],"metadata":{"n":12345678901234567890}}`,
		`{"name":"a:b","version":"x","id":"i","flowId":"f","payload":{}}`,
		`{"name":"a:b","version":1,"id":"i","flowId":"f","payload":"\ud800\u2028","identity":{"\uffff":"\xff"}}`,
		`{"name":"a:b","version":1,"id":"i","flowId":"f","payload":{},"identity":"x"}`,
		`{"name":"a:b","id":"i","flowId":"f","payload":{}}`,
		`{"name":"a:b","version":1,"id":"i","payload":{},"name":"c:d"}`,
		`{}`, `null`, `[]`, `"x"`, `1`, ``, `{`, `THIS IS NOT A EVENT`,
		"{\"name\":\"a:b\",\"version\":1,\"id\":\"i\",\"flowId\":\"f\",\"payload\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Parse(data)
		if err != nil {
			var (
				malformed *MalformedError
				missing   *MissingFieldError
				invalid   *InvalidFieldError
			)
			if !errors.As(err, &malformed) && !errors.As(err, &missing) && !errors.As(err, &invalid) {
				t.Fatalf("Parse(%q) = %v (%T), not a typed error", data, err, err)
			}
			if BadProtocol(err) == nil {
				t.Fatal("BadProtocol returned nil")
			}
			return
		}
		_ = env.Validate() // must not panic
		if err := env.ValidateRequired(); err != nil {
			t.Fatalf("Parse(%q) accepted an envelope that fails ValidateRequired: %v", data, err)
		}
		encoded, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("Marshal(Parse(%q)): %v", data, err)
		}
		again, err := Parse(encoded)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%q))) = %v; encoded %s", data, err, encoded)
		}
		if !sameEnvelope(t, env, again) {
			t.Fatalf("round trip of %q changed the envelope:\n%#v\n%#v", data, env, again)
		}
	})
}

// sameEnvelope compares two envelopes, their payloads by JSON value: the
// encoder may escape characters the input did not.
func sameEnvelope(t *testing.T, a, b *Envelope) bool {
	t.Helper()
	pa, pb := *a, *b
	pa.Payload, pb.Payload = nil, nil
	return reflect.DeepEqual(pa, pb) && reflect.DeepEqual(jsonValue(t, a.Payload), jsonValue(t, b.Payload))
}

func jsonValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("payload %s is not JSON: %v", raw, err)
	}
	return v
}
