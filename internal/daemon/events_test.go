package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

var ledger = map[string]any{
	"id": "019634679e5a708f8205e54411ba3200", "external_id": "9606e83f427b44c298192c0f110129bc",
	"name": "General Ledger", "created_at": "2024-11-17T00:00:00.000Z", "updated_at": "2024-11-17T00:00:00.000Z",
	"version": 1, "metadata": map[string]any{"foo": "bar"},
}

func send(t *testing.T, b *bridge, path, name string, payload any, opts ...eventsprotocol.SendOption) (*eventsprotocol.Envelope, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return eventsprotocol.Send(ctx, b.base+path, name, 1, payload, opts...)
}

func answerPayload(t *testing.T, e *eventsprotocol.Envelope) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatalf("answer payload: %v", err)
	}
	return p
}

func TestEventsProtocolAnswers(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)

	// Stored: <name>:response with the event, and the flowId on the event.
	resp, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithFlowID("flow-42"))
	if err != nil {
		t.Fatal(err)
	}
	p := answerPayload(t, resp)
	if resp.Name != "ledger:ledger:create:response" || p["type"] != "event.guardia.lke.ledger.created" || p["id"] == nil {
		t.Fatalf("answer %s %v", resp.Name, p)
	}
	if resp.FlowID != "flow-42" {
		t.Errorf("answer flowId %q", resp.FlowID)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.guardia.lke.ledger.created")
	if err := transform.ValidateProfile(m.Data); err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	_ = json.Unmarshal(m.Data, &ev)
	if ev["flowid"] != "flow-42" || ev["id"] != p["id"] {
		t.Errorf("stored event flowid %v id %v", ev["flowid"], ev["id"])
	}

	// The same call again (another session, same content): a duplicate.
	again, err := send(t, b, "/events/others", "ledger:ledger:create", ledger)
	if err != nil {
		t.Fatal(err)
	}
	if ap := answerPayload(t, again); ap["duplicate"] != true || ap["id"] != p["id"] {
		t.Fatalf("duplicate answer %v", ap)
	}

	// No mapping for this name: eventNotFound.
	_, err = send(t, b, "/events/", "ledger:ledger:delete", ledger)
	var nf *eventsprotocol.EventNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("unknown event: %v", err)
	}

	// Matched, but the event breaks its schema: bad_request EVENT_REJECTED, kept in the dead letters.
	bad := map[string]any{"id": "019634679e5a708f8205e54411ba3201", "name": "", "created_at": "2024-11-17T00:00:00Z",
		"updated_at": "2024-11-17T00:00:00Z", "version": 0}
	_, err = send(t, b, "/events/", "ledger:ledger:create", bad, eventsprotocol.WithAuth(map[string]any{"token": "s3cr3t"}))
	var br *eventsprotocol.BadRequestError
	if !errors.As(err, &br) || br.Code != eventsprotocol.CodeEventRejected || br.Parameters["reason"] != "schema" ||
		br.Parameters["rule"] != "ledger.created" {
		t.Fatalf("schema break: %v", err)
	}
	dl := lastMsg(t, b.js, "EVENTS_DLQ", "dlq.guardia.schema")
	var kept map[string]any
	_ = json.Unmarshal(dl.Data, &kept)
	if auth, _ := kept["auth"].(map[string]any); auth["token"] != "[redacted]" {
		t.Errorf("the dead letter keeps the auth values: %s", dl.Data)
	}

	// Identity and auth together, and a bad name: refused before any mapping.
	_, err = send(t, b, "/events/", "Ledger:Create", ledger)
	if !errors.As(err, &br) || br.Code != eventsprotocol.CodeInvalidEventName {
		t.Errorf("bad name: %v", err)
	}
}

func TestEventsProtocolAuth(t *testing.T) {
	t.Setenv(config.EnvEventsSecret, "k3y")
	for _, mode := range []string{"token", "jwt"} {
		t.Run(mode, func(t *testing.T) {
			b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.EventsAuth, c.EventsSecret = mode, "k3y" })
			good := "k3y"
			if mode == "jwt" {
				tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "svc", "exp": time.Now().Add(time.Minute).Unix()})
				good, _ = tok.SignedString([]byte("k3y"))
			}
			var ua *eventsprotocol.UnauthorizedError
			for name, auth := range map[string]map[string]any{"missing": nil, "wrong": {"token": "nope"}} {
				if _, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithAuth(auth)); !errors.As(err, &ua) || ua.Code != eventsprotocol.CodeUnauthorized {
					t.Errorf("%s token: %v", name, err)
				}
			}
			if mode == "jwt" {
				expired := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()})
				s, _ := expired.SignedString([]byte("k3y"))
				if _, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithAuth(map[string]any{"token": s})); !errors.As(err, &ua) {
					t.Errorf("expired JWT: %v", err)
				}
			}
			if _, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithAuth(map[string]any{"token": good})); err != nil {
				t.Fatalf("good token: %v", err)
			}
		})
	}
}

func TestEventsProtocolStoreUnavailable(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) { c.RequestTimeout = 300 * time.Millisecond })
	srv.Stop(t)
	_, err := send(t, b, "/events/", "ledger:ledger:create", ledger)
	var fd *eventsprotocol.FailedDependencyError
	if !errors.As(err, &fd) || fd.Code != eventsprotocol.CodeEventStoreUnavailable {
		t.Fatalf("store down: %v", err)
	}
	srv.Restart(t)
	_, js := natstest.Connect(t, srv.URL())
	if n := streamMsgs(t, js, "EVENTS"); n != 0 {
		t.Fatalf("EVENTS holds %d events after a refused call, want 0", n)
	}
}

// TestEventsTenantsAreTwoCalls: the same payload for two tenants (in
// metadata, which the shipped guardia mapping reads) is two calls, two
// events; the same call again is a duplicate.
func TestEventsTenantsAreTwoCalls(t *testing.T) {
	b := startBridge(t, natstest.Start(t), nil)
	ids := map[string]string{}
	for _, tenant := range []string{"tenant_a", "tenant_b", "tenant_a"} {
		resp, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithMetadata(map[string]any{"tenant": tenant}))
		if err != nil {
			t.Fatal(err)
		}
		p := answerPayload(t, resp)
		id, _ := p["id"].(string)
		if prev, seen := ids[tenant]; seen {
			if p["duplicate"] != true || id != prev {
				t.Errorf("%s again: %v, want a duplicate of %s", tenant, p, prev)
			}
			continue
		}
		if p["duplicate"] == true {
			t.Fatalf("%s: answered duplicate %v: its call was lost", tenant, p)
		}
		ids[tenant] = id
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 2 {
		t.Errorf("%d events stored, want one per tenant", n)
	}
}
