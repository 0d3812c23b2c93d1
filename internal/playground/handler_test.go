package playground

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/transform"
)

// server serves the playground over real HTTP with the shipped mappings,
// loaded as the tools load them (placeholder secrets).
func server(t *testing.T, cfg Config) (*httptest.Server, *transform.Set) {
	t.Helper()
	set, err := transform.Load("../../mappings", transform.Options{PlaceholderSecrets: true, SchemasDir: "../../schemas"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mappings == nil {
		cfg.Mappings = func() *transform.Set { return set }
	}
	if cfg.SchemasDir == "" {
		cfg.SchemasDir = "../../schemas"
	}
	mux := http.NewServeMux()
	New(cfg).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, set
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func call(t *testing.T, method, url, contentType string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &a.body)
	}
	return a
}

// postMap posts a dry run built from req (marshalled as JSON).
func postMap(t *testing.T, srv *httptest.Server, req any) answer {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return call(t, http.MethodPost, srv.URL+"/api/map", "application/json", b)
}

func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mappingText(t *testing.T, provider string) string {
	t.Helper()
	b, err := os.ReadFile("../../mappings/" + provider + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf returns the 1-based line of the first line of text containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the text", s)
	return 0
}

func TestMapEvents(t *testing.T) {
	srv, set := server(t, Config{})
	payload := example(t, "stripe/charge.succeeded.json")
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  map[string]any
		body []byte // the payload as the bridge gets it
	}{
		{"the loaded file, payload as JSON", map[string]any{"provider": "stripe", "payload": json.RawMessage(payload)}, compact.Bytes()},
		{"the loaded file, payload as a string", map[string]any{"provider": "stripe", "payload": string(payload)}, payload},
		{"an inline mapping", map[string]any{"provider": "stripe", "payload": string(payload), "mapping": mappingText(t, "stripe")}, payload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postMap(t, srv, tc.req)
			if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			var got Answer
			if err := json.Unmarshal(a.raw, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Events) != 1 {
				t.Fatalf("events = %s", a.raw)
			}
			if err := transform.ValidateProfile(got.Events[0]); err != nil {
				t.Errorf("event breaks the profile: %v", err)
			}
			var ev map[string]any
			_ = json.Unmarshal(got.Events[0], &ev)
			if ev["type"] != "event.stripe.payments.charge.succeeded" || ev["id"] == nil {
				t.Errorf("event = %s", got.Events[0])
			}
			want := RuleRef{Name: "charge.succeeded", File: filepath.Join("../../mappings", "stripe.yaml"),
				Line: lineOf(t, mappingText(t, "stripe"), "- name: charge.succeeded")}
			if got.Rule == nil || *got.Rule != want {
				t.Errorf("rule = %+v, want %+v", got.Rule, want)
			}
			if len(got.Checks) < 10 {
				t.Errorf("checks = %+v, want every profile rule", got.Checks)
			}
			for _, c := range got.Checks {
				if !c.OK || c.Event != 0 {
					t.Errorf("check %+v failed", c)
				}
			}
			if got.DeadLetter != nil || got.Dropped {
				t.Errorf("answer = %s", a.raw)
			}
			checkFixture(t, set, got.Fixture, "charge.succeeded", tc.body)
		})
	}
}

// checkFixture writes the fixture's files and runs it the way `bridge
// test` does: it must pass, and it must name the shipped files.
func checkFixture(t *testing.T, set *transform.Set, f *Fixture, rule string, payload []byte) {
	t.Helper()
	if f == nil {
		t.Fatal("no fixture")
	}
	wantEntry := "    tests:\n      - payload: ../examples/stripe/" + rule + ".json\n        expect: ../examples/stripe/" + rule + ".event.json\n"
	if f.Rule != rule || f.Entry != wantEntry || f.Payload != string(payload) {
		t.Errorf("fixture = %+v, want the entry\n%s", f, wantEntry)
	}
	shipped, err := os.ReadFile(filepath.Join("../../mappings", f.ExpectFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fx := transform.Fixture{Payload: filepath.Join(dir, "payload.json"), Expect: filepath.Join(dir, "expect.json")}
	for path, content := range map[string]string{fx.Payload: f.Payload, fx.Expect: f.Expect} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := set.Mapping("stripe")
	for _, r := range m.Rules() {
		if r.Name == rule {
			if _, err := fixture.Run(m, r, fx, false); err != nil {
				t.Errorf("the fixture fails: %v", err)
			}
		}
	}
	// The shipped golden file holds the same output.
	var want, got any
	_ = json.Unmarshal(shipped, &want)
	_ = json.Unmarshal([]byte(f.Expect), &got)
	if !jsonEqual(want, got) {
		t.Errorf("expect differs from the shipped %s:\n%s", f.ExpectFile, f.Expect)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestMapDeadLetters(t *testing.T) {
	srv, _ := server(t, Config{})
	stripe := mappingText(t, "stripe")
	noCustomer := strings.Replace(string(example(t, "stripe/charge.succeeded.json")), `"object": {`, `"objeto": {`, 1)
	for _, tc := range []struct {
		name, payload string
		reason        deadletter.Reason
		rule, errPart string
	}{
		{"no rule", string(example(t, "stripe/customer.created.json")), deadletter.ReasonNoRule, "", "no rule matches"},
		{"an expression fails", noCustomer, deadletter.ReasonEvalError, "charge.succeeded", "entity_id"},
		{"data breaks its schema", strings.Replace(string(example(t, "stripe/charge.succeeded.json")), `"currency": "brl"`, `"currency": "br"`, 1),
			deadletter.ReasonSchema, "charge.succeeded", "/data/currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postMap(t, srv, map[string]any{"provider": "stripe", "payload": tc.payload, "mapping": stripe})
			if a.status != http.StatusOK {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			var got Answer
			_ = json.Unmarshal(a.raw, &got)
			if got.DeadLetter == nil || got.DeadLetter.Reason != string(tc.reason) || !strings.Contains(got.DeadLetter.Error, tc.errPart) {
				t.Fatalf("answer = %s, want dead letter %s with %q", a.raw, tc.reason, tc.errPart)
			}
			if got.Events != nil || got.Checks != nil || got.Fixture != nil {
				t.Errorf("a dead letter has events, checks or a fixture: %s", a.raw)
			}
			if tc.rule == "" && got.Rule != nil || tc.rule != "" && (got.Rule == nil || got.Rule.Name != tc.rule) {
				t.Errorf("rule = %+v, want %q", got.Rule, tc.rule)
			}
			if bytes.Contains(a.raw, []byte(`"events"`)) {
				t.Errorf("events is present: %s", a.raw)
			}
		})
	}
}

func TestMapDrop(t *testing.T) {
	srv, _ := server(t, Config{})
	a := postMap(t, srv, map[string]any{"provider": "github", "payload": json.RawMessage(example(t, "github/ping.json")),
		"headers": map[string]string{"x-github-event": "ping", "x-github-delivery": "d-1"}})
	var got Answer
	_ = json.Unmarshal(a.raw, &got)
	if a.status != http.StatusOK || !got.Dropped || got.Rule.Name != "ping" || got.Fixture == nil {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	want := "    tests:\n      - payload: ../examples/github/ping.json\n        headers:\n          X-Github-Delivery: d-1\n" +
		"          X-Github-Event: ping\n        expect: ../examples/github/ping.dropped.json\n"
	if got.Fixture.Entry != want || strings.TrimSpace(got.Fixture.Expect) != "{\n  \"dropped\": true,\n  \"rule\": \"ping\"\n}" {
		t.Errorf("fixture = %+v\nwant entry\n%s", got.Fixture, want)
	}
}

func TestMapEnvelope(t *testing.T) {
	srv, _ := server(t, Config{})
	a := postMap(t, srv, map[string]any{"provider": "guardia", "payload": json.RawMessage(example(t, "guardia/ledger.create.envelope.json"))})
	var got Answer
	_ = json.Unmarshal(a.raw, &got)
	if a.status != http.StatusOK || len(got.Events) != 1 || got.Fixture == nil {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	var want, expect any
	_ = json.Unmarshal(example(t, "guardia/ledger.created.event.json"), &want)
	_ = json.Unmarshal([]byte(got.Fixture.Expect), &expect)
	if !jsonEqual(want, expect) {
		t.Errorf("expect = %s", got.Fixture.Expect)
	}
}

func TestMapBrokenMapping(t *testing.T) {
	srv, _ := server(t, Config{})
	stripe := mappingText(t, "stripe")
	payload := string(example(t, "stripe/charge.succeeded.json"))
	unknownKey := strings.Replace(stripe, "    event_name: succeeded\n", "    event_name: succeeded\n    colour: blue\n", 1)
	badExpr := strings.Replace(stripe, "currency: upper(payload.data.object.currency)", "currency: uper(payload.data.object.currency)", 1)
	for _, tc := range []struct {
		name, mapping, message string
		line, column           int
	}{
		{"an unknown key", unknownKey, `unknown key "colour"`, lineOf(t, unknownKey, "colour: blue"), 5},
		{"an unknown function", badExpr, "uper", lineOf(t, badExpr, "currency: uper("), 17},
		{"a YAML error", "provider: stripe\nmodule: payments\nrules:\n  - when: a: b\n", "yaml: mapping values are not allowed", 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postMap(t, srv, map[string]any{"provider": "stripe", "payload": payload, "mapping": tc.mapping})
			if a.status != http.StatusBadRequest || a.header.Get("Content-Type") != "application/problem+json" ||
				a.body["type"] != "urn:bridge:problem:invalid-mapping" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			var p struct {
				Errors []mappingError `json:"errors"`
			}
			_ = json.Unmarshal(a.raw, &p)
			found := false
			for _, e := range p.Errors {
				if strings.Contains(e.Message, tc.message) && e.Line == tc.line && (tc.column == 0 || e.Column == tc.column) {
					found = true
				}
			}
			if !found {
				t.Errorf("errors = %+v, want %q at %d:%d", p.Errors, tc.message, tc.line, tc.column)
			}
		})
	}
}

// A mapping given inline never sees the real secrets: each ${VAR} takes
// its placeholder, set or not, as under `bridge map` and `bridge test`.
func TestMapPlaceholderSecrets(t *testing.T) {
	srv, _ := server(t, Config{})
	t.Setenv("PLAYGROUND_TEST_SALT", "the-real-salt")
	mapping := `provider: acme
module: shop
webhook:
  signature: {scheme: hmac, header: X-Acme-Signature, secret: '${PLAYGROUND_TEST_UNSET_SECRET}'}
secrets:
  salt: '${PLAYGROUND_TEST_SALT}'
  unset: '${PLAYGROUND_TEST_UNSET_SALT}'
rules:
  - name: order.paid
    when: payload.kind == "paid"
    entity_type: order
    event_name: paid
    entity_id: payload.id
    source: '"https://acme.example/orders/" + payload.id'
    data:
      salted: hmac("salt", payload.email)
      unset: hmac("unset", payload.email)
`
	a := postMap(t, srv, map[string]any{"provider": "acme", "payload": map[string]any{"kind": "paid", "id": "o-1", "email": "a@b.c"}, "mapping": mapping})
	var got Answer
	_ = json.Unmarshal(a.raw, &got)
	if a.status != http.StatusOK || len(got.Events) != 1 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	mac := func(key string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte("a@b.c"))
		return hex.EncodeToString(m.Sum(nil))
	}
	var ev struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(got.Events[0], &ev)
	if ev.Data["salted"] != mac("placeholder-PLAYGROUND_TEST_SALT") || ev.Data["unset"] != mac("placeholder-PLAYGROUND_TEST_UNSET_SALT") {
		t.Errorf("data = %v, want the placeholders' HMACs", ev.Data)
	}
	if bytes.Contains(a.raw, []byte(mac("the-real-salt"))) {
		t.Error("the real secret was used")
	}
	if got.Rule.File != filepath.Join("../../mappings", "acme.yaml") {
		t.Errorf("file = %q, want the provider's file in the mappings directory", got.Rule.File)
	}
}

func TestMapRequests(t *testing.T) {
	srv, _ := server(t, Config{BodyLimit: 64 << 10})
	payload := `{"provider": "stripe", "payload": {"type": "x"}}`
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		problem                 string
	}{
		{"not JSON", "text/plain", payload, http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"an unknown field", "application/json", `{"provider": "stripe", "payload": {}, "colour": 1}`, http.StatusBadRequest, "invalid-body"},
		{"two objects", "application/json", payload + payload, http.StatusBadRequest, "invalid-body"},
		{"no provider nor mapping", "application/json", `{"payload": {}}`, http.StatusBadRequest, "invalid-body"},
		{"an unknown provider", "application/json", `{"provider": "nope", "payload": {}}`, http.StatusNotFound, "unknown-provider"},
		{"no payload", "application/json", `{"provider": "stripe"}`, http.StatusBadRequest, "invalid-payload"},
		{"a payload that is not JSON", "application/json", `{"provider": "stripe", "payload": "{nope"}`, http.StatusBadRequest, "invalid-payload"},
		{"a payload of the wrong content type", "application/json", `{"provider": "stripe", "payload": "a=b", "content_type": "application/x-www-form-urlencoded"}`,
			http.StatusBadRequest, "invalid-payload"},
		{"over the body limit", "application/json", `{"provider": "stripe", "payload": "` + strings.Repeat("x", 64<<10) + `"}`,
			http.StatusRequestEntityTooLarge, "too-large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, http.MethodPost, srv.URL+"/api/map", tc.contentType, []byte(tc.body))
			if a.status != tc.status || a.header.Get("Content-Type") != "application/problem+json" ||
				a.body["type"] != "urn:bridge:problem:"+tc.problem {
				t.Errorf("%d %s, want %d %s", a.status, a.raw, tc.status, tc.problem)
			}
		})
	}
}

// The default body limit is 1 MiB: a payload just under it maps, one over
// it is refused before it is parsed.
func TestMapDefaultBodyLimit(t *testing.T) {
	srv, _ := server(t, Config{})
	pad := func(n int) []byte {
		b, _ := json.Marshal(map[string]any{"provider": "stripe", "payload": map[string]any{"type": "x", "pad": strings.Repeat("x", n)}})
		return b
	}
	if a := call(t, http.MethodPost, srv.URL+"/api/map", "application/json", pad(DefaultBodyLimit-200)); a.status != http.StatusOK {
		t.Errorf("under the limit: %d %s", a.status, a.raw)
	}
	if a := call(t, http.MethodPost, srv.URL+"/api/map", "application/json", pad(DefaultBodyLimit)); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("over the limit: %d %s", a.status, a.raw)
	}
}

func TestMapBusy(t *testing.T) {
	set, err := transform.Load("../../mappings", transform.Options{PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Mappings: func() *transform.Set { return set }, MaxConcurrent: 1})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	h.busy <- struct{}{} // one dry run in progress
	a := postMap(t, srv, map[string]any{"provider": "stripe", "payload": map[string]any{}})
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Errorf("%d %s, want 503 with Retry-After", a.status, a.raw)
	}
	<-h.busy
	if a := postMap(t, srv, map[string]any{"provider": "stripe", "payload": map[string]any{}}); a.status != http.StatusOK {
		t.Errorf("after: %d %s", a.status, a.raw)
	}
}

func TestNotReady(t *testing.T) {
	mux := http.NewServeMux()
	New(Config{}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, a := range []answer{
		call(t, http.MethodGet, srv.URL+"/api/mappings", "", nil),
		call(t, http.MethodGet, srv.URL+"/api/catalog", "", nil),
		postMap(t, srv, map[string]any{"provider": "stripe", "payload": map[string]any{}}),
	} {
		if a.status != http.StatusServiceUnavailable || a.body["type"] != "urn:bridge:problem:not-ready" {
			t.Errorf("%d %s, want 503 not-ready", a.status, a.raw)
		}
	}
}

func TestMappingsAPI(t *testing.T) {
	srv, set := server(t, Config{About: func() About { return About{Version: "v9", NATSURL: "nats://127.0.0.1:4222"} }})
	a := call(t, http.MethodGet, srv.URL+"/api/mappings", "", nil)
	var v setView
	if err := json.Unmarshal(a.raw, &v); err != nil || a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if v.Bridge.Version != "v9" || v.Bridge.NATSURL != "nats://127.0.0.1:4222" || v.Mappings.Dir != "../../mappings" || len(v.Mappings.Providers) != len(set.Providers()) {
		t.Errorf("GET /api/mappings = %s", a.raw)
	}
	for _, p := range v.Mappings.Providers {
		if p.Provider == "guardia" && (len(p.Accepts) != 1 || p.Accepts[0] != "events") {
			t.Errorf("guardia accepts %v", p.Accepts)
		}
	}

	a = call(t, http.MethodGet, srv.URL+"/api/mappings/stripe", "", nil)
	var f fileView
	if err := json.Unmarshal(a.raw, &f); err != nil || a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if f.Text != mappingText(t, "stripe") || f.File != filepath.Join("../../mappings", "stripe.yaml") || len(f.Examples) < 4 {
		t.Errorf("GET /api/mappings/stripe = %+v", f)
	}
	if ex := f.Examples[0]; ex.Rule != "charge.succeeded" || ex.Payload != string(example(t, "stripe/charge.succeeded.json")) {
		t.Errorf("first example = %+v", ex)
	}
	if a := call(t, http.MethodGet, srv.URL+"/api/mappings/nope", "", nil); a.status != http.StatusNotFound {
		t.Errorf("unknown provider: %d %s", a.status, a.raw)
	}

	a = call(t, http.MethodGet, srv.URL+"/api/catalog", "", nil)
	want, _ := json.Marshal(set.Catalog())
	if a.status != http.StatusOK || !bytes.Equal(bytes.TrimSpace(a.raw), want) {
		t.Errorf("GET /api/catalog = %d %s\nwant %s", a.status, a.raw, want)
	}
}

func TestPage(t *testing.T) {
	srv, _ := server(t, Config{})
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/playground", "text/html; charset=utf-8", `<script src="playground/app.js" defer>`},
		{"/playground/app.js", "text/javascript; charset=utf-8", "api/map"},
		{"/playground/style.css", "text/css; charset=utf-8", "--lh"},
	} {
		a := call(t, http.MethodGet, srv.URL+tc.path, "", nil)
		if a.status != http.StatusOK || a.header.Get("Content-Type") != tc.contentType || !bytes.Contains(a.raw, []byte(tc.contains)) {
			t.Errorf("GET %s: %d %s", tc.path, a.status, a.header.Get("Content-Type"))
		}
		if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
	}
	// Nothing is fetched from elsewhere: every URL the page names is its own.
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("http://")) || bytes.Contains(b, []byte("https://")) || bytes.Contains(b, []byte("//cdn")) {
			t.Errorf("%s names another origin", name)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/playground/", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "../playground" {
		t.Errorf("GET /playground/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
