package transform

import (
	"net/http"
	"testing"

	"github.com/bridge-dev/bridge/internal/jsonx"
)

// A file whose expressions read headers (in a rule, or in a file-level
// let) sees them; one whose expressions do not is evaluated without them.
func TestHeadersOnlyForFilesThatReadThem(t *testing.T) {
	for _, tc := range []struct {
		name, head, data string
		reads            bool
	}{
		{"in a rule", "", "      h: headers[\"X-Tenant\"]\n      id: payload.id\n", true},
		{"in a let", "let:\n  tenant: headers[\"X-Tenant\"]\n", "      h: tenant\n      id: payload.id\n", true},
		{"through $env", "", "      h: $env.headers[\"X-Tenant\"]\n      id: payload.id\n", true},
		{"not at all", "", "      h: '\"t1\"'\n      id: payload.id\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "provider: shop\nmodule: m\naccepts: [nats]\n" + tc.head + "rules:\n  - when: true" + validRule + "\n    data:\n" + tc.data
			m, ds := Parse("f.yaml", []byte(text), Options{})
			if len(ds) > 0 {
				t.Fatal(ds)
			}
			if m.readsHeaders != tc.reads {
				t.Fatalf("readsHeaders = %v, want %v", m.readsHeaders, tc.reads)
			}
			body := `{"id":"o1"}`
			payload, err := jsonx.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			res := m.Apply(Input{Provider: "shop", Ingest: IngestNATS, Body: []byte(body), Payload: payload, ReceivedAt: received,
				Header: http.Header{"X-Tenant": {"t1"}}})
			if res.Failure != nil || len(res.Events) != 1 {
				t.Fatalf("failure %v, %d events", res.Failure, len(res.Events))
			}
			if got := decodeEvent(t, res.Events[0].JSON)["data"].(map[string]any)["h"]; got != "t1" {
				t.Errorf("data.h = %v, want t1", got)
			}
		})
	}
}
