package transform_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/transform"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// eachShippedFixture calls fn with every fixture of every rule of the
// shipped mappings, decoded as its ingestor would.
func eachShippedFixture(t *testing.T, fn func(m *transform.Mapping, r *transform.Rule, in transform.Input)) {
	t.Helper()
	set, err := transform.Load("../../mappings", transform.Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			for _, f := range r.Tests {
				body, err := os.ReadFile(f.Payload)
				if err != nil {
					t.Fatal(err)
				}
				in, err := fixture.Input(m, f, body)
				if err != nil {
					t.Fatal(err)
				}
				fn(m, r, in)
			}
		}
	}
}

// The data tree of every shipped rule runs as one expression, and gives
// what the leaf-by-leaf evaluation gives on every fixture.
func TestWholeDataMatchesLeafByLeaf(t *testing.T) {
	checked := 0
	eachShippedFixture(t, func(m *transform.Mapping, r *transform.Rule, in transform.Input) {
		if transform.CheckWholeData(t, m, r, in) {
			checked++
		}
	})
	if checked == 0 {
		t.Fatal("no fixture checked")
	}
}

// Every event the shipped rules build is one the CloudEvents SDK reads,
// validates and writes back byte for byte, and that passes every profile
// check (the rule's constants are checked at load, not per event).
func TestEventsRoundTripThroughTheSDK(t *testing.T) {
	n := 0
	eachShippedFixture(t, func(m *transform.Mapping, r *transform.Rule, in transform.Input) {
		in.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		in.TraceState = "vendor=x"
		res := m.Apply(in)
		if res.Failure != nil {
			t.Fatalf("%s rule %s: %v", m.File, r.Name, res.Failure)
		}
		for _, ev := range res.Events {
			n++
			var ce cloudevents.Event
			if err := json.Unmarshal(ev.JSON, &ce); err != nil {
				t.Fatalf("%s rule %s: the SDK cannot read the event: %v\n%s", m.File, r.Name, err, ev.JSON)
			}
			if err := ce.Validate(); err != nil {
				t.Errorf("%s rule %s: the SDK finds the event invalid: %v", m.File, r.Name, err)
			}
			out, err := ce.MarshalJSON()
			if err != nil || !bytes.Equal(out, ev.JSON) {
				t.Errorf("%s rule %s: the SDK writes it back differently (%v):\n%s\nbuilt:\n%s", m.File, r.Name, err, out, ev.JSON)
			}
			if err := transform.ValidateProfile(ev.JSON); err != nil {
				t.Errorf("%s rule %s: profile: %v", m.File, r.Name, err)
			}
			if ce.ID() != ev.ID || ce.Type() != ev.Type || ce.Subject() != ev.Subject || ce.Source() != ev.Source {
				t.Errorf("%s rule %s: Event fields differ from its JSON", m.File, r.Name)
			}
		}
	})
	if n == 0 {
		t.Fatal("no event built")
	}
}
