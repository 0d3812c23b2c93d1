package transform

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

const backfillHead = "provider: shop\nmodule: m\nidempotency_key: payload.id\nwebhook: {signature: {scheme: none}}\nrules:\n  - when: true" + validRule + "\n"

func TestBackfillBlockDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  []string // each a whole line of the error
	}{
		{"no url, no items", "backfill: {}",
			[]string{`f.yaml:11:11: backfill.url is required: the provider's list API, e.g. https://api.stripe.com/v1/events`,
				`f.yaml:11:11: backfill.items is required: the expression over page that gives the page's list of items, e.g. page.data`}},
		{"a key in the url", "backfill: {url: 'https://sk_live_INFILE:@api.example.com/v1', items: page.data}",
			[]string{`f.yaml:11:17: backfill.url: "https://api.example.com/v1" holds a user or password (not shown): give credentials in auth, from the environment`}},
		{"http beyond loopback", "backfill: {url: 'http://api.example.com/v1', items: page.data}",
			[]string{`f.yaml:11:17: backfill.url: "http://api.example.com/v1": http is allowed only to a loopback host; the request carries the provider's API key, use https`}},
		{"not a URL", "backfill: {url: 'ftp://x/y', items: page.data}",
			[]string{`f.yaml:11:17: backfill.url: "ftp://x/y": scheme "ftp" is not http or https`}},
		{"unknown key", "backfill: {url: 'https://x.example', items: page.data, pages: 3}",
			[]string{`f.yaml:11:56: unknown key "pages" in backfill (known keys: url, auth, query, items, next)`}},
		{"literal key", "backfill: {url: 'https://x.example', items: page.data, auth: {bearer: sk_live_1}}",
			[]string{`f.yaml:11:71: backfill.auth.bearer must be an environment reference like ${STRIPE_API_KEY}; secrets are never written in mapping files`}},
		{"two kinds of auth", "backfill: {url: 'https://x.example', items: page.data, auth: {bearer: '${K}', header: X-Key, value: '${K}'}}",
			[]string{`f.yaml:11:62: backfill.auth must have exactly one of bearer, basic or header, got 2`}},
		{"header without value", "backfill: {url: 'https://x.example', items: page.data, auth: {header: X-Key}}",
			[]string{`f.yaml:11:62: backfill.auth.value is required with header: {header: X-Key, value: '${VAR}'}`}},
		{"basic of one", "backfill: {url: 'https://x.example', items: page.data, auth: {basic: ['${K}']}}",
			[]string{`f.yaml:11:70: backfill.auth.basic must be a list of two: [user, password], e.g. ['${STRIPE_API_KEY}', '']`}},
		{"a literal password", "backfill: {url: 'https://x.example', items: page.data, auth: {basic: [u, hunter2]}}",
			[]string{`f.yaml:11:74: backfill.auth.basic password must be an environment reference like ${STRIPE_API_KEY}; secrets are never written in mapping files`}},
		{"expressions are typed against their own variables", "backfill:\n  url: 'https://x.example'\n  query: {a: '1', b: payload.x, c: string(since.Unix())}\n  items: page.data\n  next: '\"x\"'",
			[]string{
				`f.yaml:13:14: backfill.query.a: expression must return a string or a list of strings, got int`,
				`f.yaml:13:22: backfill.query.b: unknown name payload`,
				`f.yaml:15:9: backfill.next: expression must return a map or nil, got string`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := Parse("f.yaml", []byte(backfillHead+tc.block+"\n"), Options{LookupEnv: func(string) (string, bool) { return "", false }})
			var got []string
			for _, d := range ds {
				got = append(got, d.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A block's secrets are not read at load: bridge run never needs the API
// key; Authorize reads it when a backfill runs, and says which is missing.
func TestBackfillAuthIsReadWhenTheBackfillRuns(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	tests := []struct {
		auth, header, want string
	}{
		{"{bearer: '${API_KEY}'}", "Authorization", "Bearer sk_test_1"},
		{"{basic: ['${API_KEY}', '']}", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("sk_test_1:"))},
		{"{basic: [ops, '${API_PASS}']}", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:pw"))},
		{"{header: x-api-key, value: '${API_KEY}'}", "X-Api-Key", "sk_test_1"},
	}
	for _, tc := range tests {
		t.Run(tc.auth, func(t *testing.T) {
			text := backfillHead + "backfill: {url: 'https://x.example', items: page.data, auth: " + tc.auth + "}\n"
			m, ds := Parse("f.yaml", []byte(text), Options{LookupEnv: env(nil)})
			if len(ds) > 0 {
				t.Fatalf("load: %v", ds)
			}
			if !m.Accepts(IngestBackfill) || m.Backfill().AuthHeader() != tc.header {
				t.Fatalf("accepts backfill %v, auth header %q", m.Accepts(IngestBackfill), m.Backfill().AuthHeader())
			}
			h := http.Header{}
			err := m.Backfill().Authorize(h, env(nil))
			if err == nil || !strings.Contains(err.Error(), "is not set") {
				t.Fatalf("without the variable: %v", err)
			}
			if err := m.Backfill().Authorize(h, env(map[string]string{"API_KEY": "sk_test_1", "API_PASS": "pw"})); err != nil {
				t.Fatal(err)
			}
			if got := h.Get(tc.header); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestShippedStripeBackfillPagesAsStripe(t *testing.T) {
	m, ds := Parse("../../mappings/stripe.yaml", readFile(t, "../../mappings/stripe.yaml"), Options{PlaceholderSecrets: true})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	b := m.Backfill()
	if b == nil || b.URL != "https://api.stripe.com/v1/events" {
		t.Fatalf("block %+v", b)
	}
	if refs := b.SecretRefs(); len(refs) != 1 || refs[0].Env != "STRIPE_API_KEY" {
		t.Errorf("secret refs %v", refs)
	}
	since, until := time.Unix(1700000000, 0), time.Unix(1700259200, 0)
	q, err := b.Query(context.Background(), since, until)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"limit": {"100"}, "created[gte]": {"1700000000"}, "created[lte]": {"1700259200"},
		"types[]": {"charge.succeeded", "charge.refunded", "payment_intent.succeeded", "payment_intent.payment_failed"}}
	if q.Encode() != want.Encode() {
		t.Errorf("query %s, want %s", q.Encode(), want.Encode())
	}
	page, err := jsonx.Decode([]byte(`{"object":"list","has_more":true,"data":[{"id":"evt_2"},{"id":"evt_1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	items, err := b.Items(context.Background(), page)
	if err != nil || len(items) != 2 {
		t.Fatalf("items %v, %v", items, err)
	}
	next, ok, err := b.Next(context.Background(), page)
	if err != nil || !ok || next["starting_after"] != "evt_1" || len(next) != 1 {
		t.Errorf("next %v %v %v", next, ok, err)
	}
	last, _ := jsonx.Decode([]byte(`{"object":"list","has_more":false,"data":[{"id":"evt_0"}]}`))
	if next, ok, err := b.Next(context.Background(), last); ok || err != nil {
		t.Errorf("last page: next %v %v %v", next, ok, err)
	}
	if _, err := b.Items(context.Background(), map[string]any{"error": map[string]any{}}); err == nil {
		t.Error("a page without data gave items")
	}
}

func TestBackfillNeedsAnIdempotencyKey(t *testing.T) {
	text := "provider: shop\nmodule: m\nwebhook: {signature: {scheme: none}}\nbackfill: {url: 'https://x.example', items: page.data}\nrules:\n  - name: r\n    when: true" + validRule + "\n"
	_, ds := Parse("f.yaml", []byte(text), Options{})
	if len(ds) != 1 || !strings.Contains(ds[0].Error(), `f.yaml:6:5: rule "r": the file has a backfill: block, but this rule's events have no idempotency_key`) {
		t.Fatalf("got %v", ds)
	}
	if _, ds := Parse("f.yaml", []byte(strings.Replace(text, "module: m\n", "module: m\nidempotency_key: payload.id\n", 1)), Options{}); len(ds) > 0 {
		t.Fatalf("with a key: %v", ds)
	}
}

// FuzzBackfillPage feeds arbitrary list API answers to the shipped Stripe
// block's items and next: an error or a value, never a panic, and next
// gives only strings.
func FuzzBackfillPage(f *testing.F) {
	f.Add([]byte(`{"has_more":true,"data":[{"id":"evt_1"}]}`))
	f.Add([]byte(`{"has_more":true,"data":[]}`))
	f.Add([]byte(`{"has_more":true,"data":[{"id":{"x":1}}]}`))
	f.Add([]byte(`{"has_more":"yes","data":{"0":1}}`))
	f.Add([]byte(`[1,2,3]`))
	m, ds := Parse("../../mappings/stripe.yaml", []byte(readFileF(f, "../../mappings/stripe.yaml")), Options{PlaceholderSecrets: true})
	if len(ds) > 0 {
		f.Fatal(ds)
	}
	b := m.Backfill()
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := jsonx.Decode(body)
		if err != nil {
			return
		}
		_, _ = b.Items(context.Background(), page)
		if next, ok, err := b.Next(context.Background(), page); err == nil && ok && len(next) != 1 {
			t.Fatalf("next %v", next)
		}
	})
}
