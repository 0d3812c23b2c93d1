package deadletter

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// TestDecodeRoundTrip writes a dead letter with Writer and reads
// it back: the same body bytes, headers and receive time (the input the
// ingestor had is TestInputOfAStoredLetter, in replay).
func TestDecodeRoundTrip(t *testing.T) {
	e := newEnv(t)
	body := []byte("{\n  \"id\": \"evt_9\", \"type\": \"refund.created\",\n  \"note\": \"ação <&>\"\n}\n")
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("BRT", -3*3600))
	_, err := e.dead.Store(natstest.Context(t, 5*time.Second), "key-1", Letter{
		Provider: "shop", Reason: ReasonNoRule, Error: "no rule matches", File: "testdata/v1/shop.yaml",
		Rule: "", Ingest: "webhook", ReceivedAt: at,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"},
			"x-lower-case": {"v"}, "Authorization": {"Bearer secret"}},
		Body: body,
	})
	if err != nil {
		t.Fatal(err)
	}
	ls := e.list(t, Filter{})
	if len(ls) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(ls))
	}
	l := ls[0]
	if !bytes.Equal(l.Body, body) {
		t.Errorf("body = %q, want %q", l.Body, body)
	}
	if !l.ReceivedAt.Equal(at) {
		t.Errorf("received at %v, want %v", l.ReceivedAt, at)
	}
	if l.Seq != 1 || l.Subject != "dlq.shop.no_rule" || l.Provider != "shop" || l.Reason != "no_rule" ||
		l.Error != "no rule matches" || l.File != "testdata/v1/shop.yaml" || l.Ingest != "webhook" || l.MsgID != ID("key-1", ReasonNoRule, body) {
		t.Errorf("letter = %+v", l)
	}
	wantHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a", "b"}, "X-Lower-Case": {"v"}}
	if !maps.EqualFunc(l.Header, wantHeader, slices.Equal) {
		t.Errorf("headers = %v, want %v", l.Header, wantHeader)
	}

}

func TestShow(t *testing.T) {
	redact := []string{"data.object.email", "items[*].card"} // testdata/v1/shop.yaml's
	l := Letter{Seq: 3, Provider: "shop", Reason: "no_rule", Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"data": {"object": {"email": "ana@example.com"}}, "items": [{"card": "4242"}]}`)}
	v := l.Show(redact, true)
	if want := `{"data":{"object":{"email":"[redacted]"}},"items":[{"card":"[redacted]"}]}`; v.Body != want {
		t.Errorf("shown body = %s, want %s", v.Body, want)
	}
	if v.BodyBytes != len(l.Body) || v.BodyHidden != "" {
		t.Errorf("view = %+v", v)
	}
	v = l.Show(nil, false)
	if v.Body != "" || v.BodyHidden == "" {
		t.Errorf("without a mapping the body must be hidden, got %+v", v)
	}
}

// TestEncodeDecode is the codec's seam: what Encode writes, Decode reads
// back, every field, with each original header's values in order and the
// secret ones dropped.
func TestEncodeDecode(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
	stored := at.Add(time.Second)
	tests := []struct {
		name       string
		prefix     string
		in         Letter
		wantHeader http.Header
	}{
		{"every field", "dlq", Letter{Provider: "stripe", Reason: ReasonEvalError, Error: "data.amount: must be a number",
			File: "mappings/stripe.yaml", Rule: "charge.succeeded", Ingest: "webhook", ReceivedAt: at, MsgID: "k:eval_error:00",
			Header: http.Header{
				"Content-Type":     {"application/json"},
				"X-Forwarded-For":  {"10.0.0.1", "10.0.0.2", "10.0.0.3"},
				"x-lower-case":     {"kept"},
				"Authorization":    {"Bearer secret"},
				"Stripe-Signature": {"t=1,v1=abc"},
				"X-Api-Key":        {"k"},
				"Cookie":           {"session=1"},
				"Bad Name":         {"not a header name"},
			},
			Body: []byte("{\"id\": \"evt_1\",\r\n \"x\": \"\xff raw\"}\n")},
			http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {"10.0.0.1", "10.0.0.2", "10.0.0.3"},
				"X-Lower-Case": {"kept"}}},
		{"only what is known", "bridge.dead", Letter{Provider: "pix", Reason: ReasonNotJSON, Ingest: "nats", ReceivedAt: at,
			Body: []byte("<xml/>")}, http.Header{}},
	}
	for _, reason := range Reasons() {
		tests = append(tests, struct {
			name       string
			prefix     string
			in         Letter
			wantHeader http.Header
		}{"reason " + string(reason), "dlq", Letter{Provider: "shop", Reason: reason, ReceivedAt: at, Body: []byte("{}")}, http.Header{}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := Encode(tc.prefix, tc.in)
			got := Decode(&jetstream.RawStreamMsg{Subject: msg.Subject, Sequence: 7, Header: msg.Header, Data: msg.Data, Time: stored})
			want := tc.in
			want.Seq, want.Subject, want.StoredAt, want.Header = 7, Subject(tc.prefix, tc.in.Provider, tc.in.Reason), stored, tc.wantHeader
			if !maps.EqualFunc(got.Header, want.Header, slices.Equal) {
				t.Errorf("headers = %v, want %v", got.Header, want.Header)
			}
			got.Header, want.Header = nil, nil
			if !bytes.Equal(got.Body, want.Body) {
				t.Errorf("body = %q, want %q", got.Body, want.Body)
			}
			got.Body, want.Body = nil, nil
			if !got.ReceivedAt.Equal(want.ReceivedAt) {
				t.Errorf("received at %v, want %v", got.ReceivedAt, want.ReceivedAt)
			}
			got.ReceivedAt, want.ReceivedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %+v\nwant    %+v", got, want)
			}
		})
	}
}

// TestDecodeFallsBack: a dead letter without the Bridge headers takes its
// provider and reason from its subject and its receive time from the stream.
func TestDecodeFallsBack(t *testing.T) {
	stored := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := Decode(&jetstream.RawStreamMsg{Subject: "dlq.shop.no_rule", Sequence: 3, Time: stored, Data: []byte("{}")})
	if l.Provider != "shop" || l.Reason != ReasonNoRule || !l.ReceivedAt.Equal(stored) || l.Seq != 3 {
		t.Errorf("letter = %+v", l)
	}
}

// TestEncodeDecodeQuery: a webhook's query travels with its dead letter
// (and its archived record), so a replay or a remap sees the query the
// mapping saw; credentials in it are never stored.
func TestEncodeDecodeQuery(t *testing.T) {
	in := Letter{Provider: "mp", Reason: ReasonNoRule, Ingest: "webhook", Body: []byte("{}"),
		Query: url.Values{"data.id": {"123"}, "type": {"payment"}, "tags": {"a", "b"}, "api_token": {"t0k"}, "sig": {"s"}, "code": {"c"}}}
	msg := Encode("dlq", in)
	if got := msg.Header.Get(HeaderQuery); strings.Contains(got, "t0k") || strings.Contains(got, "sig=") || strings.Contains(got, "code=") {
		t.Errorf("%s holds a credential: %q", HeaderQuery, got)
	}
	got := Decode(&jetstream.RawStreamMsg{Subject: msg.Subject, Header: msg.Header, Data: msg.Data})
	want := url.Values{"data.id": {"123"}, "type": {"payment"}, "tags": {"a", "b"}}
	if !reflect.DeepEqual(got.Query, want) {
		t.Errorf("query = %v, want %v", got.Query, want)
	}
	if l := Decode(&jetstream.RawStreamMsg{Subject: "dlq.mp.no_rule", Data: []byte("{}")}); l.Query != nil {
		t.Errorf("a dead letter without a query: %v", l.Query)
	}
}
