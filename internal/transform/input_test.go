package transform

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/jsonx"
)

// NewInput drops the credential headers (those named, in any case, and
// every deadletter.SensitiveHeader) without touching the caller's header,
// shares that header when there is nothing to change, and puts NATS'
// non-canonical names in canonical form; HeaderValues is the first value
// of each.
func TestNewInputHeaders(t *testing.T) {
	request := func() http.Header {
		return http.Header{
			"Content-Type":   {"application/json"},
			"X-Gitlab-Token": {"secret-1", "secret-2"},
			"Authorization":  {"Basic dTpw"},
			"X-Request-Id":   {"a", "b"},
			"X-Empty":        {},
		}
	}
	tests := []struct {
		name  string
		creds []string
		gone  []string // headers that must not come out
	}{
		{"no credentials", nil, nil},
		{"token header", []string{"X-Gitlab-Token"}, []string{"X-Gitlab-Token"}},
		{"named in another case", []string{"x-gitlab-token"}, []string{"X-Gitlab-Token"}},
		{"authorization", []string{"Authorization"}, []string{"Authorization"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := request()
			in := NewInput("p", IngestWebhook, nil, h, time.Time{}, tc.creds...)
			header, headers := in.Header, in.HeaderValues()
			if !reflect.DeepEqual(h, request()) {
				t.Errorf("the request's headers changed: %v", h)
			}
			// What Header.Clone and Del gave before, without any
			// credential header whatever the scheme.
			want := request()
			for _, c := range append(tc.creds, "Authorization", "X-Gitlab-Token") {
				want.Del(c)
			}
			if !reflect.DeepEqual(header, want) {
				t.Errorf("header = %v, want %v", header, want)
			}
			for _, g := range tc.gone {
				if _, ok := header[g]; ok {
					t.Errorf("header keeps %s", g)
				}
				if _, ok := headers[g]; ok {
					t.Errorf("headers keeps %s", g)
				}
			}
			wantFirst := map[string]string{}
			for k, v := range want {
				if len(v) > 0 {
					wantFirst[k] = v[0]
				}
			}
			if !maps.Equal(headers, wantFirst) {
				t.Errorf("headers = %v, want %v", headers, wantFirst)
			}
			if len(tc.creds) == 0 {
				plain := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a"}}
				in := NewInput("p", IngestWebhook, nil, plain, time.Time{})
				in.Header["X-Shared"] = []string{"x"}
				if plain.Get("X-Shared") != "x" {
					t.Errorf("without credentials, header = %v, want the request's own", in.Header)
				}
			}
		})
	}
	// A NATS message's header names are as the publisher wrote them.
	h := http.Header{"x-github-event": {"push"}, "X-Request-Id": {"a"}}
	in := NewInput("p", IngestNATS, nil, h, time.Time{})
	if got := slices.Sorted(maps.Keys(in.Header)); !slices.Equal(got, []string{"X-Github-Event", "X-Request-Id"}) {
		t.Errorf("header names %v, want canonical ones", got)
	}
	if _, ok := h["X-Github-Event"]; ok {
		t.Error("the caller's header was changed")
	}
	if in.HeaderValues()["X-Github-Event"] != "push" || in.Header.Get("x-github-event") != "push" {
		t.Errorf("headers %v", in.HeaderValues())
	}
}

// Expressions see `headers` as before Input carried them once: the first
// value of each, under the canonical name, "" when missing; a dropped
// credential is not there.
func TestHeadersInExpressions(t *testing.T) {
	const file = `provider: shop
module: test
accepts: [nats]
rules:
  - name: kinds
    when: headers["X-Kind"] == "a"
    entity_type: order
    event_name: seen
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
    data:
      first: headers["X-Kind"]
      missing: headers["X-Missing"]
      token: headers["X-Token"]
      count: len(headers)
`
	m, problems := Parse("shop.yaml", []byte(file), Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	body := []byte(`{"id":"o1"}`)
	in := NewInput("shop", IngestNATS, body, http.Header{"x-kind": {"a", "b"}, "X-Token": {"t"}, "X-Empty": {}}, received, "x-token")
	var err error
	if in.Payload, err = jsonx.Decode(body); err != nil {
		t.Fatal(err)
	}
	res := m.Apply(in)
	if res.Failure != nil || len(res.Events) != 1 {
		t.Fatalf("apply: %+v", res.Failure)
	}
	var ev struct{ Data map[string]any }
	if err := json.Unmarshal(res.Events[0].JSON, &ev); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"first": "a", "missing": "", "token": "", "count": 1.0} {
		if ev.Data[k] != want {
			t.Errorf("data.%s = %#v, want %#v (data %v)", k, ev.Data[k], want, ev.Data)
		}
	}
}

// Expressions see `query` as they see `headers`: the first value of each
// query parameter of a webhook request, "" when missing, without a
// parameter named as a credential; an empty map for the other doors. It is
// there in `when`, the fields, the idempotency key and a rule with `each`,
// and no let may hide it.
func TestQueryInExpressions(t *testing.T) {
	const file = `provider: shop
module: test
accepts: [webhook, nats]
webhook: {signature: {scheme: none}}
idempotency_key: '"delivery-" + query["delivery"]'
rules:
  - name: by-query
    when: query["kind"] == "order"
    entity_type: order
    event_name: seen
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
    data:
      first: query["kind"]
      dotted: query["data.id"]
      missing: query["nope"]
      token: query["api_token"]
      sig: query["sig"]
      code: query["code"]
      amz: query["X-Amz-Credential"]
      count: len(query)
  - name: lines
    when: query["kind"] == "lines"
    each: payload.lines
    entity_type: line
    event_name: seen
    entity_id: item
    source: '"https://shop.example/lines/" + item'
    data:
      kind: query["kind"]
  - name: other doors
    when: len(query) == 0
    entity_type: order
    event_name: unqueried
    entity_id: payload.id
    source: '"https://shop.example/orders/" + payload.id'
`
	m, problems := Parse("shop.yaml", []byte(file), Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	body := []byte(`{"id":"o1","lines":["l1","l2"]}`)
	apply := func(t *testing.T, ingest string, query url.Values) Result {
		t.Helper()
		in := NewInput("shop", ingest, body, http.Header{}, received)
		in.Query = query
		var err error
		if in.Payload, err = jsonx.Decode(body); err != nil {
			t.Fatal(err)
		}
		res := m.Apply(in)
		if res.Failure != nil {
			t.Fatalf("apply: %v", res.Failure)
		}
		return res
	}
	data := func(t *testing.T, ev Event) (string, map[string]any) {
		t.Helper()
		var e struct {
			Type string
			Data map[string]any
		}
		if err := json.Unmarshal(ev.JSON, &e); err != nil {
			t.Fatal(err)
		}
		return e.Type, e.Data
	}

	q, _ := url.ParseQuery("kind=order&kind=line&data.id=123&api_token=t0k&delivery=d1&sig=s1g&code=c0de&X-Amz-Credential=AKIA")
	res := apply(t, IngestWebhook, q)
	if len(res.Events) != 1 || res.Rule.Name != "by-query" {
		t.Fatalf("rule %v, %d events", res.Rule, len(res.Events))
	}
	_, d := data(t, res.Events[0])
	for k, want := range map[string]any{"first": "order", "dotted": "123", "missing": "", "token": "", "sig": "", "code": "", "amz": "", "count": 3.0} {
		if d[k] != want {
			t.Errorf("data.%s = %#v, want %#v (data %v)", k, d[k], want, d)
		}
	}
	if want := idem.KeyFor("shop", "delivery-d1"); res.Key != want {
		t.Errorf("idempotency key %s, want the one of query's delivery %s", res.Key, want)
	}

	res = apply(t, IngestWebhook, url.Values{"kind": {"lines"}})
	if len(res.Events) != 2 {
		t.Fatalf("each: %d events, want 2", len(res.Events))
	}
	if _, d := data(t, res.Events[1]); d["kind"] != "lines" {
		t.Errorf("each: data %v, want query's kind", d)
	}

	for _, ingest := range []string{IngestNATS, IngestWebhook} {
		res = apply(t, ingest, nil)
		if typ, _ := data(t, res.Events[0]); typ != "event.shop.test.order.unqueried" {
			t.Errorf("%s without a query: type %s, want the rule for an empty query", ingest, typ)
		}
	}

	_, problems = Parse("shop.yaml", []byte("provider: shop\nmodule: m\naccepts: [nats]\nlet:\n  query: payload.q\nrules:\n  - when: query != nil\n    drop: true\n"), Options{})
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), `let: "query" would hide the expression environment's query`) {
		t.Errorf("a let named query: %v", problems)
	}
}
