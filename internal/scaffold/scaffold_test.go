package scaffold

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/transform"
)

// examplePayloads are the provider payloads shipped under examples/NAME,
// without the expected outputs (*.event.json, *.dropped.json).
func examplePayloads(t *testing.T, name string) []Sample {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", name, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples/%s/*.json: %v", name, err)
	}
	var out []Sample
	for _, p := range paths {
		if strings.HasSuffix(p, ".event.json") || strings.HasSuffix(p, ".dropped.json") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Sample{Name: p, Body: b})
	}
	return out
}

// TestShippedExamplesScaffoldLoadsAndPasses: the file proposed from each
// shipped example's payloads loads (as bridge test and bridge check load),
// its fixtures are written by update, and then pass as they are.
func TestShippedExamplesScaffoldLoadsAndPasses(t *testing.T) {
	for _, tc := range []struct {
		provider, scheme string
		field            string
		rules            []string
	}{
		{"stripe", "stripe", "type", []string{"charge.refunded", "charge.succeeded", "customer.created", "payment_intent.payment_failed", "payment_intent.succeeded"}},
		{"github", "github", "action", []string{"closed", "opened", "github"}},
		{"pix", "none", "", []string{"pix"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			samples := examplePayloads(t, tc.provider)
			sc, err := Infer(tc.provider, tc.scheme, samples)
			if err != nil {
				t.Fatal(err)
			}
			if sc.EventField != tc.field {
				t.Errorf("event field %q, want %q", sc.EventField, tc.field)
			}
			var names []string
			fixtures := 0
			for _, r := range sc.Rules {
				names = append(names, r.Name)
				fixtures += len(r.Fixtures)
			}
			if !slices.Equal(names, tc.rules) {
				t.Errorf("rules %q, want %q", names, tc.rules)
			}
			if fixtures != len(samples) {
				t.Errorf("%d fixtures for %d samples", fixtures, len(samples))
			}
			dir := t.TempDir()
			if _, err := sc.Write(dir, false); err != nil {
				t.Fatal(err)
			}
			// bridge check: the real secret from the environment.
			env := func(name string) (string, bool) { return "whsec_test", name == sc.SecretEnv }
			if _, err := transform.Load(dir, transform.Options{LookupEnv: env}); err != nil {
				t.Fatalf("check: %v\n%s", err, sc.YAML())
			}
			set, err := transform.Load(dir, transform.Options{PlaceholderSecrets: true})
			if err != nil {
				t.Fatalf("load: %v\n%s", err, sc.YAML())
			}
			for i, update := range []bool{true, false} {
				results := fixture.RunAll(set, update)
				if len(results) != len(samples) {
					t.Fatalf("%d fixture results, want %d", len(results), len(samples))
				}
				for _, r := range results {
					if r.Err != nil {
						t.Errorf("run %d: %s: %v\n%s", i, r.Rule.Name, r.Err, sc.YAML())
					}
					if r.Updated != update {
						t.Errorf("run %d: %s: updated %v", i, r.Rule.Name, r.Updated)
					}
				}
			}
			// A second scaffold does not overwrite the first.
			if _, err := sc.Write(dir, false); !errors.Is(err, ErrExists) {
				t.Errorf("second write: %v, want ErrExists", err)
			}
		})
	}
}

func TestInferRule(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Rule
	}{
		{"stripe-like", `{"id":"evt_1","type":"payment_intent.created","created":1757429580,"data":{"object":{"id":"pi_1","amount":100,"currency":"brl","metadata":{}}}}`,
			Rule{Name: "payment_intent.created", When: `payload.type == "payment_intent.created"`, EntityType: "payment_intent", EventName: "created",
				EntityID: "payload.data.object.id", Time: "fromUnix(payload.created)",
				Data: []DataField{{"entity_type", `"PAYMENT_INTENT"`}, {"amount", "payload.data.object.amount"}, {"currency", "payload.data.object.currency"}}}},
		{"no dot, camel case, millis", `{"eventType":"paymentCreated","timestamp":1757429580123,"payment":{"paymentId":"p1"}}`,
			Rule{Name: "paymentCreated", When: `payload.eventType == "paymentCreated"`, EntityType: "acme", EventName: "payment_created",
				EntityID: "payload.payment.paymentId", Time: "fromUnixMilli(payload.timestamp)",
				Data: []DataField{{"entity_type", `"ACME"`}, {"timestamp", "payload.timestamp"}}}},
		{"mercado pago: data.id, RFC 3339", `{"id":12345,"type":"payment","action":"payment.updated","date_created":"2025-09-09T14:55:06Z","data":{"id":"999"}}`,
			Rule{Name: "payment", When: `payload.type == "payment"`, EntityType: "acme", EventName: "payment",
				EntityID: "payload.data.id", Time: "payload.date_created",
				Data: []DataField{{"entity_type", `"ACME"`}}}},
		{"no type, list of items", `{"items":[{"endToEndId":"E1","x-y":1}]}`,
			Rule{Name: "acme", When: "true", EntityType: "acme", EventName: "received",
				EntityID: "payload.items[0].endToEndId", Data: []DataField{{"entity_type", `"ACME"`}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Infer("acme", "none", []Sample{{Name: "s.json", Body: []byte(tc.body)}})
			if err != nil {
				t.Fatal(err)
			}
			got := sc.Rules[0]
			w := tc.want
			if got.Name != w.Name || got.When != w.When || got.EntityType != w.EntityType || got.EventName != w.EventName ||
				got.EntityID != w.EntityID || got.Time != w.Time || !slices.Equal(got.Data, w.Data) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			if !strings.Contains(got.Source, "string("+w.EntityID+")") {
				t.Errorf("source %q does not use the entity id", got.Source)
			}
		})
	}
}

// TestEventFieldWithTheMostValues: of two type-like fields, the one that
// tells the samples apart is the event type.
func TestEventFieldWithTheMostValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []string
		field   string
		rules   []string
	}{
		{"mercado pago: action varies, type does not", []string{
			`{"id":1,"type":"payment","action":"payment.created","data":{"id":"9"}}`,
			`{"id":2,"type":"payment","action":"payment.updated","data":{"id":"9"}}`,
		}, "action", []string{"payment.created", "payment.updated"}},
		{"a tie: the one in more samples", []string{`{"kind":"a","topic":"x"}`, `{"kind":"b"}`, `{"topic":"y"}`, `{"topic":"y"}`}, "topic", []string{"x", "y", "acme"}},
		{"a tie everywhere: the first of EventFields", []string{`{"kind":"a","event":"x"}`}, "event", []string{"x"}},
		{"none", []string{`{"type":1}`}, "", []string{"acme"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var samples []Sample
			for i, s := range tc.samples {
				samples = append(samples, Sample{Name: fmt.Sprintf("s%d.json", i), Body: []byte(s)})
			}
			sc, err := Infer("acme", "none", samples)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range sc.Rules {
				names = append(names, r.Name)
			}
			if sc.EventField != tc.field || !slices.Equal(names, tc.rules) {
				t.Errorf("field %q rules %q, want %q %q", sc.EventField, names, tc.field, tc.rules)
			}
		})
	}
}

func TestToken(t *testing.T) {
	for in, want := range map[string]string{
		"succeeded": "succeeded", "payment_intent": "payment_intent", "paymentIntent": "payment_intent",
		"Payment-Intent": "payment_intent", "v2 Created!": "v2_created", "***": "event", "ID": "id",
	} {
		if got := token(in); got != want {
			t.Errorf("token(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInferErrorsNameTheirInput(t *testing.T) {
	_, err := Infer("Bad-Name", "nope", []Sample{
		{Name: "a.json", Body: []byte(`{"type":`)},
		{Name: "b.json", Body: []byte(`[1]`)},
		{Name: "c.json", Body: []byte(`{} {}`)},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`provider "Bad-Name"`, `signature scheme "nope"`, "a.json: not JSON", "b.json: not a JSON object", "c.json: not JSON"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := Infer("x", "discord", []Sample{{Name: "a.json", Body: []byte(`{}`)}}); err == nil || !strings.Contains(err.Error(), "public_key") {
		t.Errorf("discord: %v", err)
	}
	if _, err := Infer("x", "none", nil); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Errorf("no samples: %v", err)
	}
}

func FuzzInfer(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"a.b","created":1757429580,"data":{"object":{"id":"x"}}}`))
	f.Add([]byte(`{"pix":[{"endToEndId":"E1"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sc, err := Infer("acme", "none", []Sample{{Name: "s.json", Body: body}})
		if err != nil {
			return
		}
		if len(sc.Rules) != 1 || len(sc.Rules[0].Fixtures) != 1 {
			t.Fatalf("rules %+v", sc.Rules)
		}
		dir := t.TempDir()
		if _, err := sc.Write(dir, false); err != nil {
			t.Fatal(err)
		}
		if _, err := transform.Load(dir, transform.Options{PlaceholderSecrets: true}); err != nil {
			t.Fatalf("the scaffold does not load: %v\n%s", err, sc.YAML())
		}
	})
}

// TestTokensThatYAMLWouldRetype: a provider or event type YAML would read
// as a bool, null or number still loads as the token.
func TestTokensThatYAMLWouldRetype(t *testing.T) {
	sc, err := Infer("on", "none", []Sample{
		{Name: "a.json", Body: []byte(`{"type":"null","id":"1"}`)},
		{Name: "b.json", Body: []byte(`{"type":"2024.true","id":"2"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := sc.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	set, err := transform.Load(dir, transform.Options{PlaceholderSecrets: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, sc.YAML())
	}
	var types []string
	for _, e := range set.Catalog() {
		types = append(types, e.Type)
	}
	want := []string{"event.on.on.on.null", "event.on.on.2024.true"}
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Errorf("types %q, want %q", types, want)
	}
	for _, r := range fixture.RunAll(set, true) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Rule.Name, r.Err)
		}
	}
}

// TestEverySchemeLoads: with each scheme bridge new takes, the file loads
// as bridge test loads it (placeholders) and as bridge check does (the
// secret's variable set).
func TestEverySchemeLoads(t *testing.T) {
	sample := []Sample{{Name: "a.json", Body: []byte(`{"id":"evt_1","type":"order.paid","data":{"id":"o1","total":10}}`)}}
	for _, scheme := range signature.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			sc, err := Infer("acme", scheme, sample)
			if unsupported[scheme] != "" {
				if err == nil {
					t.Fatal("accepted a scheme whose public key it cannot write")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := sc.Write(dir, false); err != nil {
				t.Fatal(err)
			}
			if _, err := transform.Load(dir, transform.Options{PlaceholderSecrets: true}); err != nil {
				t.Fatalf("test: %v\n%s", err, sc.YAML())
			}
			secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // standard-webhooks wants whsec_ + base64
			switch scheme {
			case "adyen":
				secret = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
			case "basic":
				secret = "user:pass"
			}
			env := func(name string) (string, bool) { return secret, name == sc.SecretEnv }
			if _, err := transform.Load(dir, transform.Options{LookupEnv: env}); err != nil {
				t.Fatalf("check: %v\n%s", err, sc.YAML())
			}
		})
	}
}
