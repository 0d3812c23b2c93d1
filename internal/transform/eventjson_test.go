package transform

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/google/uuid"
)

// sdkEventJSON is what Rule.write wrote before it wrote the JSON itself:
// the event as sdk-go's model, written by sdk-go.
func sdkEventJSON(t testing.TB, r *Rule, id string, p eventParts) []byte {
	t.Helper()
	ext := make(map[string]any, 4)
	ext[ExtIdempotencyKey] = p.key.String()
	if p.flow != "" {
		ext[ExtFlowID] = p.flow
	}
	if p.tc.parent != "" {
		ext[ExtTraceParent] = p.tc.parent
		if p.tc.state != "" {
			ext[ExtTraceState] = p.tc.state
		}
	}
	contentType := cloudevents.ApplicationJSON
	subject := p.subject
	ce := cloudevents.Event{
		Context: &cloudevents.EventContextV1{
			ID: id, Source: types.URIRef{URL: *p.srcURL}, Type: r.Type, Subject: &subject,
			DataContentType: &contentType, DataSchema: r.dataSchemaURI,
			Time: &types.Timestamp{Time: p.time.UTC()}, Extensions: ext,
		},
		DataEncoded: p.data,
	}
	var buf bytes.Buffer
	if err := cloudevents.WriteJson(&ce, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// shippedRules are the rules of the shipped mappings, and one without a
// dataschema.
func shippedRules(t testing.TB) []*Rule {
	t.Helper()
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	var rules []*Rule
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		for _, r := range m.Rules() {
			if !r.Drop {
				rules = append(rules, r)
			}
		}
	}
	return append(rules, &Rule{Type: "event.p.m.e.n"})
}

func eventJSONCase(t testing.TB, src, subject, flow, parent, state string, data []byte, at time.Time) (eventParts, bool) {
	u, err := url.Parse(src)
	if err != nil || !u.IsAbs() {
		return eventParts{}, false
	}
	return eventParts{key: uuid.NewSHA1(uuid.NameSpaceURL, []byte(src+subject)), src: src, srcURL: u, subject: subject,
		time: at, data: data, flow: flow, tc: traceContext{parent: parent, state: state}}, true
}

func TestEventJSONMatchesSDK(t *testing.T) {
	cases := []struct{ src, subject, flow, parent, state string }{
		{"https://api.stripe.com/v1/charges/ch_1", "charge/0b7c1e9e-4d7a-5c3e-9f0a-1b2c3d4e5f60", "", "", ""},
		{"https://x.example/a?b=c&d=é#f", "e/\"quoted\" \\ back\tslash\n\r\x01\x1f\x7f", "flow-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v,<&>"},
		{"urn:example:thing", "e/\xff\xfe invalid utf-8 é 世界", "f\"low", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},
		{"https://user:pa%20ss@host.example:8443/p%2Fq/r s", "e/x", "", "", "ignored without a parent"},
	}
	times := []time.Time{
		time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 6, 11, 0, 0, 123456789, time.FixedZone("-03", -3*3600)),
		time.Date(1999, 1, 2, 3, 4, 5, 100, time.UTC),
	}
	datas := [][]byte{[]byte(`{"a":1,"b":"c"}`), []byte(`null`), []byte(`{"nested":{"x":[1,2,{"y":"\u00e9"}]}}`)}
	n := 0
	for _, r := range shippedRules(t) {
		for _, c := range cases {
			for _, at := range times {
				for _, data := range datas {
					p, ok := eventJSONCase(t, c.src, c.subject, c.flow, c.parent, c.state, data, at)
					if !ok {
						t.Fatalf("%s: not an absolute URL", c.src)
					}
					id := uuid.Must(uuid.NewV7()).String()
					got, want := r.appendEventJSON(nil, id, p), sdkEventJSON(t, r, id, p)
					if !bytes.Equal(got, want) {
						t.Fatalf("rule %s:\n got %s\nwant %s", r.Name, got, want)
					}
					n++
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d events compared", n)
	}
}

// FuzzEventJSONMatchesSDK: whatever the attributes an event may have, the
// JSON written directly is sdk-go's.
func FuzzEventJSONMatchesSDK(f *testing.F) {
	rules := shippedRules(f)
	f.Add("https://x.example/a", "e/1", "", "", "", int64(0), uint(0))
	f.Add("https://x.example/\x00\"\\", "e/\x7f\xff", "fl\tow", "00-1-2-01", "s\n", int64(1_800_000_000_123), uint(3))
	f.Fuzz(func(t *testing.T, src, subject, flow, parent, state string, nanos int64, rule uint) {
		p, ok := eventJSONCase(t, src, subject, flow, parent, state, []byte(`{"k":"v"}`), time.Unix(0, nanos))
		if !ok {
			return
		}
		r := rules[rule%uint(len(rules))]
		id := uuid.Must(uuid.NewV7()).String()
		if got, want := r.appendEventJSON(nil, id, p), sdkEventJSON(t, r, id, p); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
