package daemon

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bridge-dev/bridge/eventsprotocol"
	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// TestEventsProtocolJWTClaims: with --events-jwt-issuer, -audience and
// -max-lifetime, a JWT signed with the right key is still refused when
// its iss, aud or lifetime is not the configured one; signed tokens made
// with golang-jwt, as a caller makes them.
func TestEventsProtocolJWTClaims(t *testing.T) {
	const key = "k3y-for-jwt"
	b := startBridge(t, natstest.Start(t), func(c *config.Config) {
		c.EventsAuth, c.EventsSecret = "jwt", key
		c.EventsJWTIssuer, c.EventsJWTAudience, c.EventsJWTMaxLifetime = "https://idp.example", "bridge", 10*time.Minute
	})
	now := time.Now()
	sign := func(method jwt.SigningMethod, claims jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://idp.example", "aud": []string{"ledger", "bridge"}, "sub": "svc",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name  string
		token string
	}{
		{"wrong issuer", sign(jwt.SigningMethodHS256, with("iss", "https://evil.example"))},
		{"no issuer", sign(jwt.SigningMethodHS256, with("iss", nil))},
		{"wrong audience", sign(jwt.SigningMethodHS256, with("aud", "someone-else"))},
		{"no audience", sign(jwt.SigningMethodHS256, with("aud", nil))},
		{"lifetime too long", sign(jwt.SigningMethodHS256, with("exp", now.Add(2*time.Hour).Unix()))},
		{"no iat", sign(jwt.SigningMethodHS256, with("iat", nil))},
		{"iat in the future", sign(jwt.SigningMethodHS256, with("iat", now.Add(time.Hour).Unix()))},
		{"expired", sign(jwt.SigningMethodHS256, with("exp", now.Add(-time.Hour).Unix()))},
		{"another algorithm", sign(jwt.SigningMethodHS384, good())},
		{"another key", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good()).SignedString([]byte("not-the-key"))
			return s
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := send(t, b, "/events/", "ledger:ledger:create", ledger, eventsprotocol.WithAuth(map[string]any{"token": tc.token}))
			var ua *eventsprotocol.UnauthorizedError
			if !errors.As(err, &ua) || ua.Code != eventsprotocol.CodeUnauthorized {
				t.Errorf("answer %v, want unauthorized", err)
			}
		})
	}
	if n := streamMsgs(t, b.js, "EVENTS"); n != 0 {
		t.Fatalf("%d events stored by refused tokens", n)
	}
	if _, err := send(t, b, "/events/", "ledger:ledger:create", ledger,
		eventsprotocol.WithAuth(map[string]any{"token": sign(jwt.SigningMethodHS256, good())})); err != nil {
		t.Fatalf("good token: %v", err)
	}
}

// TestEventsAuthBeforeParse: the credential is checked on the raw bytes
// before the envelope is parsed, so an unauthenticated caller gets
// unauthorized whatever else is wrong with its envelope (a missing field,
// a bad name, identity with auth), and only an authenticated one learns
// about the envelope's problems.
func TestEventsAuthBeforeParse(t *testing.T) {
	b := startBridge(t, natstest.Start(t), func(c *config.Config) { c.EventsAuth, c.EventsSecret = "token", "t0ken" })
	envelope := func(token string, drop ...string) []byte {
		e := map[string]any{"name": "ledger:ledger:create", "version": 1, "id": "s", "flowId": "f", "payload": ledger,
			"auth": map[string]any{"token": token, "x-sid": "abc"}, "identity": map[string]any{"userId": "u"}}
		for _, k := range drop {
			delete(e, k)
		}
		raw, _ := json.Marshal(e)
		return raw
	}
	answer := func(body []byte) map[string]any {
		t.Helper()
		r := post(t, b.base+"/events/", body, nil)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		return r.body
	}
	// Wrong token, missing payload, identity with auth: unauthorized.
	if a := answer(envelope("wrong", "payload")); a["name"] != "ledger:ledger:create:unauthorized" || a["flowId"] != "f" {
		t.Errorf("unauthenticated broken envelope: %v", a)
	}
	// The right token: the envelope's own problems are answered.
	if a := answer(envelope("t0ken", "payload")); a["name"] != eventsprotocol.NameBadProtocol {
		t.Errorf("authenticated envelope without payload: %v", a)
	}
	if a := answer(envelope("t0ken")); a["name"] != "ledger:ledger:create:bad_request" {
		t.Errorf("authenticated envelope with identity and auth: %v", a)
	}
	// Not JSON at all: badProtocol, with or without a credential.
	if a := answer([]byte(`{"auth":{"token":"t0ken"}`)); a["name"] != eventsprotocol.NameBadProtocol {
		t.Errorf("truncated envelope: %v", a)
	}
	// A token given twice counts once, the last, as the parser would read it.
	twice := []byte(`{"name":"ledger:ledger:create","version":1,"id":"s","flowId":"f","payload":{},"auth":{"token":"t0ken","token":"wrong"}}`)
	if a := answer(twice); a["name"] != "ledger:ledger:create:unauthorized" {
		t.Errorf("token given twice: %v", a)
	}
	if n := streamMsgs(t, b.js, "EVENTS") + streamMsgs(t, b.js, "EVENTS_DLQ"); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}
