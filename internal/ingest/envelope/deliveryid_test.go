package envelope

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

// A call's delivery id hashes its payload as a value: the same payload
// written with other spacing or key order gives the same id, another
// payload another one.
func TestDeliveryIDOfTheSamePayload(t *testing.T) {
	id := func(payload string) string {
		t.Helper()
		req := &eventsprotocol.Envelope{Name: "pos:sale:created", Version: eventsprotocol.IntVersion(1), ID: "session-1", Payload: json.RawMessage(payload)}
		in, err := Input(req, nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return in.DeliveryID
	}
	a := id(`{"amount": 1, "id": "s1"}`)
	if b := id(`{"id":"s1","amount":1}`); b != a {
		t.Errorf("the same payload respelled: %s, then %s", a, b)
	}
	if c := id(`{"id":"s2","amount":1}`); c == a {
		t.Error("another payload, the same delivery id")
	}
}
