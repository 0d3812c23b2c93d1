package transform

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// eachShippedFixture calls fn with every fixture of every rule of the
// shipped mappings, decoded as its ingestor would.
func eachShippedFixture(t *testing.T, fn func(m *Mapping, r *Rule, in Input)) {
	t.Helper()
	set, err := Load("../../mappings", Options{SchemasDir: "../../schemas", PlaceholderSecrets: true})
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
				in, err := m.fixtureInput(f, body)
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
	eachShippedFixture(t, func(m *Mapping, r *Rule, in Input) {
		if r.data == nil || !r.data.isMap {
			return
		}
		if r.data.whole == nil {
			t.Errorf("%s rule %s: data is evaluated leaf by leaf", m.File, r.Name)
			return
		}
		e := &env{Payload: in.Payload, Headers: in.HeaderValues(), Provider: m.Provider, ReceivedAt: in.ReceivedAt, Envelope: in.Envelope}
		if r.each != nil {
			items, _ := r.each.run(e)
			list, _ := items.([]any)
			if len(list) == 0 {
				return
			}
			ie := &itemEnv{Payload: e.Payload, Headers: e.Headers, Provider: e.Provider, ReceivedAt: e.ReceivedAt, Envelope: e.Envelope, Item: list[0]}
			compareData(t, r, ie)
		} else {
			compareData(t, r, e)
		}
		checked++
	})
	if checked == 0 {
		t.Fatal("no fixture checked")
	}
}

func compareData(t *testing.T, r *Rule, e any) {
	t.Helper()
	whole, err := r.data.whole.run(e)
	if err != nil {
		t.Fatalf("rule %s: whole data: %v", r.Name, err)
	}
	leaves := *r.data
	leaves.whole = nil
	byLeaf, _, err := leaves.eval(e, "data")
	if err != nil {
		t.Fatalf("rule %s: leaf by leaf: %v", r.Name, err)
	}
	if !reflect.DeepEqual(whole, byLeaf) {
		t.Errorf("rule %s: whole data\n%#v\nleaf by leaf\n%#v", r.Name, whole, byLeaf)
	}
}

// A failing leaf is still named when the data tree runs as one expression.
func TestWholeDataFailureNamesTheField(t *testing.T) {
	m := loadTestdata(t, "shop.yaml")
	for _, r := range m.Rules() {
		if r.Name == "order-paid" && r.data.whole == nil {
			t.Fatal("order-paid's data is evaluated leaf by leaf")
		}
	}
	res := apply(t, m, `{"kind":"order.paid","delivery_id":"d","created":1,"order":{"id":"o","total":"1.001","currency":"brl","email":"x"}}`)
	if res.Failure == nil || res.Failure.Field != "data.amount" {
		t.Fatalf("failure = %v, want one on data.amount", res.Failure)
	}
}

// FuzzJSONBytesMatchesEncodingJSON: for any strings and numbers, jsonBytes
// writes what encoding/json writes without HTML escaping, or both refuse.
func FuzzJSONBytesMatchesEncodingJSON(f *testing.F) {
	f.Add("key", "<a href='x'>&</a>", 1.5, int64(-9), true)
	f.Add("\u2028", "é\u2029\x01\x7f\b\f\n\r\t\"\\", 1e21, int64(0), false)
	f.Add("\xff", "bad \xc3\x28 utf8", 1e-7, int64(1)<<62, true)
	f.Add("", "", -0.0, int64(-1), false)
	f.Add("z", "\x00", 12345678912345.0, int64(7), true)
	f.Fuzz(func(t *testing.T, k, s string, x float64, n int64, b bool) {
		tree := map[string]any{
			k:   []any{s, x, n, int(n), b, nil, []any(nil), map[string]any(nil), json.Number(strconv.FormatInt(n, 10) + ".12345678901234567")},
			s:   map[string]any{"b": b, k: s, "empty": map[string]any{}, "list": []any{}},
			"x": x,
		}
		got, _, err := jsonBytes(tree)
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		werr := enc.Encode(tree)
		if (err != nil) != (werr != nil) {
			t.Fatalf("jsonBytes error %v, encoding/json error %v", err, werr)
		}
		if werr != nil {
			return
		}
		if want := strings.TrimSuffix(buf.String(), "\n"); string(got) != want {
			t.Fatalf("jsonBytes:\n%s\nencoding/json:\n%s", got, want)
		}
	})
}

// Every event the shipped rules build is one the CloudEvents SDK reads,
// validates and writes back byte for byte, and that passes every profile
// check (the rule's constants are checked at load, not per event).
func TestEventsRoundTripThroughTheSDK(t *testing.T) {
	n := 0
	eachShippedFixture(t, func(m *Mapping, r *Rule, in Input) {
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
			if err := ValidateProfile(ev.JSON); err != nil {
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
