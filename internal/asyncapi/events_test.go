package asyncapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bridge-dev/bridge/internal/playground"
)

// messageSchemas compiles the document's message headers and payload of
// eventType, as a subscriber validating against the document would: the
// document's schemas are AsyncAPI Schemas, a superset of draft 07.
func messageSchemas(t *testing.T, jsonDoc []byte, eventType string) (headers, payload *jsonschema.Schema) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(jsonDoc))
	if err != nil {
		t.Fatal(err)
	}
	const url = "urn:bridge:asyncapi"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	at := url + "#/components/messages/" + eventType
	if headers, err = c.Compile(at + "/headers"); err != nil {
		t.Fatalf("%s headers: %v", eventType, err)
	}
	if payload, err = c.Compile(at + "/payload"); err != nil {
		t.Fatalf("%s payload: %v", eventType, err)
	}
	return headers, payload
}

// TestFixtureEventsMatchTheirMessage maps every fixture of the shipped
// mappings as bridge map does and validates each event it makes against
// its type's message payload in the document; and shows that an event
// with a wrong attribute fails.
func TestFixtureEventsMatchTheirMessage(t *testing.T) {
	set := load(t, shippedMappings, shippedSchemas)
	jsonDoc, _ := build(t, set, Options{})
	checked := map[string]int{}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			for _, f := range r.Tests {
				body := readFile(t, f.Payload)
				res, err := playground.Map(m, playground.Input{Body: body, Headers: f.Headers, ReceivedAt: time.Now().UTC()})
				if err != nil || res.Failure != nil {
					t.Fatalf("%s: %v %v", f.Payload, err, res.Failure)
				}
				for _, ev := range res.Events {
					_, payload := messageSchemas(t, jsonDoc, ev.Type)
					inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.JSON))
					if err != nil {
						t.Fatal(err)
					}
					if err := payload.Validate(inst); err != nil {
						t.Errorf("%s: the event of %s does not match its message:\n%v", ev.Type, f.Payload, err)
					}
					checked[ev.Type]++

					for name, change := range map[string]func(map[string]any){
						"type":        func(e map[string]any) { e["type"] = "event.other.x.y.z" },
						"id not a v7": func(e map[string]any) { e["id"] = "0b5c9a8e-1f0e-4d43-9a3b-2c0d7e4b9a11" },
						"subject":     func(e map[string]any) { e["subject"] = "other/" + e["idempotencykey"].(string) },
						"no data":     func(e map[string]any) { delete(e, "data") },
					} {
						broken, _ := jsonschema.UnmarshalJSON(bytes.NewReader(ev.JSON))
						change(broken.(map[string]any))
						if payload.Validate(broken) == nil {
							t.Errorf("%s: an event with a wrong %s matches its message", ev.Type, name)
						}
					}
				}
			}
		}
	}
	for _, e := range set.Catalog() {
		if checked[e.Type] == 0 {
			t.Errorf("%s: no fixture event checked", e.Type)
		}
	}
	if len(checked) == 0 {
		t.Fatal("no event checked")
	}
}
