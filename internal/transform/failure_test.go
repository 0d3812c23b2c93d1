package transform

import (
	"errors"
	"testing"
)

// A failure names its field before its error, when it has one.
func TestFailureError(t *testing.T) {
	cause := errors.New("is missing (nil)")
	for _, tc := range []struct {
		f    Failure
		want string
	}{
		{Failure{Field: "data.amount", Err: cause}, "data.amount: is missing (nil)"},
		{Failure{Err: cause}, "is missing (nil)"},
	} {
		if got := tc.f.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if !errors.Is(&tc.f, cause) {
			t.Errorf("%q does not wrap its cause", tc.want)
		}
	}
}
