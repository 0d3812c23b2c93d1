package transform

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The auth block's shapes that TestBackfillBlockDiagnostics does not
// write: an empty block, a value without header, a value beside bearer,
// and a header name that is not one.
func TestBackfillAuthShapes(t *testing.T) {
	tests := []struct {
		name, auth, want string
	}{
		{"empty", "{}", "backfill.auth must have exactly one of bearer, basic or header, got 0"},
		{"value alone", "{value: '${K}'}", "backfill.auth: value goes with header: {header: Name, value: '${VAR}'}"},
		{"value beside bearer", "{bearer: '${K}', value: '${K}'}", "backfill.auth.value goes only with header: {header: Name, value: '${VAR}'}"},
		{"not a header name", "{header: 'X Key', value: '${K}'}", `backfill.auth.header "X Key" is not a header name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := backfillHead + "backfill: {url: 'https://x.example', items: page.data, auth: " + tc.auth + "}\n"
			_, ds := Parse("f.yaml", []byte(text), Options{})
			if len(ds) != 1 || !strings.Contains(ds[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem saying %q", ds, tc.want)
			}
		})
	}
}

func TestCheckBackfillURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" for accepted, else a part of the error
	}{
		{"https://api.stripe.com/v1/events", ""},
		{"http://localhost:8080/v1/events", ""},
		{"http://LocalHost/v1/events", ""},
		{"http://127.0.0.1:8080/v1/events", ""},
		{"http://[::1]:8080/v1/events", ""},
		{"http://10.0.0.1/v1/events", "http is allowed only to a loopback host"},
		{"http://api.example.com/v1/events", "http is allowed only to a loopback host"},
		{"/v1/events", "is not an absolute http(s) URL"},
		{"http:///v1/events", "is not an absolute http(s) URL"},
		{"http://[::1/x", "is not an absolute http(s) URL"},
		{"ftp://x/y", `scheme "ftp" is not http or https`},
	}
	for _, tc := range tests {
		err := CheckBackfillURL(tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error saying %q", tc.url, err, tc.want)
		}
	}
}

// The query's parameters are evaluated in the order of their names: with
// two that fail, the error names the first by name whatever the file's
// order.
func TestBackfillQueryInNameOrder(t *testing.T) {
	text := backfillHead + "backfill: {url: 'https://x.example', items: page.data, query: {b: '[1]', a: '[2]', c: '\"x\"'}}\n"
	m, ds := Parse("f.yaml", []byte(text), Options{})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	_, err := m.Backfill().Query(context.Background(), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
	if err == nil || !strings.HasPrefix(err.Error(), "backfill.query.a: a list's elements must be strings, got int") {
		t.Fatalf("got %v", err)
	}
}
