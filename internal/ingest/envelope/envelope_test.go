package envelope

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

// An envelope's auth values never reach the kept body (a dead letter): each
// is blanked; an envelope without auth is kept as it came. The headers the
// mapping sees are the first values, without Authorization.
func TestEnvelopeInputKeepsNoCredential(t *testing.T) {
	received := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		auth map[string]any
	}{
		{"with auth", map[string]any{"token": "s3cret-token", "user": "u"}},
		{"without auth", nil},
		{"empty auth", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &eventsprotocol.Envelope{Name: "pos:sale:created", Version: eventsprotocol.IntVersion(1), ID: "session-1",
				Payload: json.RawMessage(`{"amount": 1}`), Auth: tc.auth}
			header := http.Header{"Authorization": {"Bearer s3cret-header"}, "X-Trace": {"one", "two"}}
			in, err := Input(req, header, received)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(in.Body), "s3cret") {
				t.Errorf("the kept body holds a credential: %s", in.Body)
			}
			kept := *req
			if len(tc.auth) > 0 {
				kept.Auth = map[string]any{"token": "[redacted]", "user": "[redacted]"}
			}
			want, err := json.Marshal(kept)
			if err != nil {
				t.Fatal(err)
			}
			if string(in.Body) != string(want) {
				t.Errorf("kept body %s, want %s", in.Body, want)
			}
			if in.HeaderValues()["X-Trace"] != "one" || in.HeaderValues()["Authorization"] != "" || in.Header.Get("Authorization") != "" {
				t.Errorf("headers %v (all %v): want X-Trace's first value and no Authorization", in.HeaderValues(), in.Header)
			}
			if header.Get("Authorization") == "" {
				t.Error("the caller's header lost its Authorization")
			}
		})
	}
}
