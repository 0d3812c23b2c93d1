package transform

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// A query parameter or a header present without a value is not in what
// expressions see (and reading it gives ""), never a crash.
func TestValuesWithoutValue(t *testing.T) {
	in := Input{
		Query:  url.Values{"kind": {"order", "x"}, "empty": {}},
		Header: http.Header{"X-Kind": {"order"}, "X-Empty": {}},
	}
	if got, want := in.QueryValues(), map[string]string{"kind": "order"}; !reflect.DeepEqual(got, want) {
		t.Errorf("QueryValues = %v, want %v", got, want)
	}
	if got, want := in.HeaderValues(), map[string]string{"X-Kind": "order"}; !reflect.DeepEqual(got, want) {
		t.Errorf("HeaderValues = %v, want %v", got, want)
	}
}
