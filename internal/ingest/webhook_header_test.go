package ingest

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

func TestDeliveryHeaders(t *testing.T) {
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
			header, headers := deliveryHeaders(h, tc.creds)
			if !reflect.DeepEqual(h, request()) {
				t.Errorf("the request's headers changed: %v", h)
			}
			// What Header.Clone and Del gave before.
			want := request()
			for _, c := range tc.creds {
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
			if len(tc.creds) == 0 && !slices.Equal(slices.Sorted(maps.Keys(header)), slices.Sorted(maps.Keys(h))) {
				t.Errorf("without credentials, header = %v, want the request's", header)
			}
		})
	}
}
