package subscriber_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/bridge-dev/bridge/subscriber"
)

// Decode reads the bridge's structured mode (the body is the event) and
// the NATS binding's binary mode (ce-* headers), and refuses what is
// neither.
func TestDecode(t *testing.T) {
	e := newEvent(1, 7)
	tests := []struct {
		name    string
		header  nats.Header
		body    []byte
		wantErr bool
	}{
		{"structured, as the bridge stores it", nats.Header{"Content-Type": {"application/cloudevents+json"}, "ce-id": {e.ID}}, e.json(), false},
		{"structured without headers", nil, e.json(), false},
		{"binary", nats.Header{"ce-specversion": {"1.0"}, "ce-id": {e.ID}, "ce-type": {e.Type}, "ce-source": {"https://things.example.com/x"},
			"ce-subject": {e.Subject}, "ce-idempotencykey": {e.Key}, "Content-Type": {"application/json"}}, []byte(`{"n":7}`), false},
		{"not JSON", nil, []byte("nope"), true},
		{"JSON but no event", nil, []byte(`{"a":1}`), true},
		{"binary without an id", nats.Header{"ce-specversion": {"1.0"}, "ce-type": {e.Type}}, []byte(`{}`), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, structured, err := subscriber.Decode(tc.header, tc.body)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("decoded %v, want an error", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID() != e.ID || subscriber.KeyOf(*ev) != e.Key || ev.Subject() != e.Subject {
				t.Errorf("decoded id %s key %s subject %s; want %s %s %s", ev.ID(), subscriber.KeyOf(*ev), ev.Subject(), e.ID, e.Key, e.Subject)
			}
			var d struct{ N int }
			if err := ev.DataAs(&d); err != nil || d.N != 7 {
				t.Errorf("data n = %d (%v), want 7", d.N, err)
			}
			if len(structured) == 0 {
				t.Error("no structured form")
			}
		})
	}
}

// Decode never panics on a message from the stream, whatever it holds.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(newEvent(1, 1).json()), "")
	f.Add([]byte(`{"specversion":"1.0","id":"x","type":"t","source":"/","data_base64":"!!"}`), "")
	f.Add([]byte(`{}`), "1.0")
	f.Add([]byte("\x00"), "0.3")
	f.Fuzz(func(t *testing.T, body []byte, specversion string) {
		hdr := nats.Header{}
		if specversion != "" {
			hdr.Set("ce-specversion", specversion)
			hdr.Set("ce-id", "id")
		}
		ev, structured, err := subscriber.Decode(hdr, body)
		if err == nil && (ev == nil || structured == nil) {
			t.Fatalf("no error and no event for %q", body)
		}
	})
}
