package transform

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

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
