package tracing

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // each in the error; none: valid
	}{
		{name: "default: tracing off", cfg: DefaultConfig()},
		{name: "https", cfg: Config{Endpoint: "https://otel:4318", SampleRatio: 0.5}},
		{name: "http allowed", cfg: Config{Endpoint: "http://otel:4318", Insecure: true}},
		{name: "http not allowed", cfg: Config{Endpoint: "http://otel:4318", SampleRatio: 1}, want: []string{"plain HTTP"}},
		{name: "every problem at once", cfg: Config{Endpoint: "otel:4318", SampleRatio: 2},
			want: []string{"invalid OTLP endpoint", "between 0 and 1, got 2"}},
		{name: "NaN ratio, tracing off", cfg: Config{SampleRatio: math.NaN()}, want: []string{"between 0 and 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to say %q", err, w)
				}
			}
		})
	}
	if err := (Config{Endpoint: "ftp://x"}).Validate(); !errors.Is(err, ErrInvalidEndpoint) {
		t.Errorf("Validate() of an ftp:// endpoint = %v, want ErrInvalidEndpoint", err)
	}
}
