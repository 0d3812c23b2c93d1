package signature

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/bridge-dev/bridge/internal/yamlcheck"
	"gopkg.in/yaml.v3"
)

// handshakeOf runs v's Handshake, failing when v has none.
func handshakeOf(t *testing.T, v Verifier, h http.Header, body string) (Reply, bool, error) {
	t.Helper()
	hs, ok := v.(Handshaker)
	if !ok {
		t.Fatalf("%T is not a Handshaker", v)
	}
	return hs.Handshake(h, []byte(body))
}

// wantReply checks a handshake's reply.
func wantReply(t *testing.T, r Reply, ok bool, err error, contentType, body string) {
	t.Helper()
	if !ok || err != nil {
		t.Fatalf("Handshake = ok %v, %v; want a reply", ok, err)
	}
	if r.ContentType != contentType || string(r.Body) != body {
		t.Errorf("reply %s %s, want %s %s", r.ContentType, r.Body, contentType, body)
	}
}

// wantHandshakeError checks that a handshake is refused, at field.
func wantHandshakeError(t *testing.T, ok bool, err error, forbidden bool, field string) {
	t.Helper()
	var he *HandshakeError
	if !ok && err == nil {
		t.Fatal("not taken for a handshake")
	}
	if !errors.As(err, &he) || he.Forbidden != forbidden || he.Field != field || he.Detail == "" {
		t.Fatalf("error %v, want a HandshakeError at %s (forbidden %v)", err, field, forbidden)
	}
}

func TestSlackHandshake(t *testing.T) {
	v := mustNew(t, Config{Scheme: SchemeSlack, Secrets: []Secret{"8f742231b10e8888abcd99yyyzzz85a5"}})
	// Slack's own example of the event
	// (https://docs.slack.dev/reference/events/url_verification).
	r, ok, err := handshakeOf(t, v, nil, `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	wantReply(t, r, ok, err, "application/json", `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`)

	for name, body := range map[string]string{
		"an event":                    `{"type":"event_callback","event_id":"Ev01","event":{"type":"message","text":"url_verification"}}`,
		"url_verification inside":     `{"type":"event_callback","event":{"type":"url_verification","challenge":"x"}}`,
		"a slash command (a form)":    `token=x&command=%2Furl_verification&text=url_verification`,
		"type in another case":        `{"Type":"url_verification","challenge":"x"}`,
		"not JSON":                    `url_verification`,
		"type not a string":           `{"type":["url_verification"],"challenge":"x"}`,
		"no mention of the handshake": `{"type":"app_rate_limited"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if r, ok, err := handshakeOf(t, v, nil, body); ok || err != nil {
				t.Errorf("taken for a handshake: %s %v", r.Body, err)
			}
		})
	}
	for name, body := range map[string]string{
		"no challenge":          `{"type":"url_verification"}`,
		"empty challenge":       `{"type":"url_verification","challenge":""}`,
		"challenge not a token": `{"type":"url_verification","challenge":"<script>alert(1)</script> x"}`,
		"challenge too long":    `{"type":"url_verification","challenge":"` + strings.Repeat("a", 129) + `"}`,
		"challenge a number":    `{"type":"url_verification","challenge":12}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, ok, err := handshakeOf(t, v, nil, body)
			wantHandshakeError(t, ok, err, false, "challenge")
		})
	}
	// 128 characters are echoed.
	c := strings.Repeat("Z", 128)
	r, ok, err = handshakeOf(t, v, nil, `{"type":"url_verification","challenge":"`+c+`"}`)
	wantReply(t, r, ok, err, "application/json", `{"challenge":"`+c+`"}`)
}

func TestZoomHandshake(t *testing.T) {
	// The plain token of Zoom's documentation, hashed apart from Go
	// (Python's hmac) with docs/signatures.md's example Secret Token.
	const secret, plain = "1BMbAGMlQ9aZ3XqXgV7cXg", "qgg8vlvZRS6UYooatFL8Aw"
	const encrypted = "ceb12561ae9ca1a6b39ff078a2ab48123d61fff170afa78e06aac3d9bc3d736f"
	body := `{"payload":{"plainToken":"` + plain + `"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`
	v := mustNew(t, Config{Scheme: SchemeZoom, Secrets: []Secret{secret}})
	now := time.Now()
	r, ok, err := handshakeOf(t, v, zoomSign(secret, now, []byte(body)), body)
	wantReply(t, r, ok, err, "application/json", `{"encryptedToken":"`+encrypted+`","plainToken":"`+plain+`"}`)

	// While secrets rotate, the token is keyed with the one that signed
	// the request: Zoom checks it with the one it signs with.
	rotating := mustNew(t, Config{Scheme: SchemeZoom, Secrets: []Secret{"the-new-secret-token", secret}})
	h := zoomSign(secret, now, []byte(body))
	if err := rotating.Verify(h, []byte(body), now); err != nil {
		t.Fatal(err)
	}
	r, ok, err = handshakeOf(t, rotating, h, body)
	wantReply(t, r, ok, err, "application/json", `{"encryptedToken":"`+encrypted+`","plainToken":"`+plain+`"}`)

	for name, body := range map[string]string{
		"an event":             `{"event":"meeting.started","payload":{"object":{"topic":"endpoint.url_validation"}}}`,
		"event in a payload":   `{"event":"meeting.started","payload":{"event":"endpoint.url_validation","plainToken":"x"}}`,
		"not JSON":             `endpoint.url_validation`,
		"event in other case":  `{"Event":"endpoint.url_validation","payload":{"plainToken":"x"}}`,
		"event not the string": `{"event":"endpoint.url_validation.x","payload":{"plainToken":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if r, ok, err := handshakeOf(t, v, nil, body); ok || err != nil {
				t.Errorf("taken for a handshake: %s %v", r.Body, err)
			}
		})
	}
	for name, body := range map[string]string{
		"no payload":          `{"event":"endpoint.url_validation"}`,
		"payload not object":  `{"event":"endpoint.url_validation","payload":"x"}`,
		"no plainToken":       `{"event":"endpoint.url_validation","payload":{}}`,
		"plainToken a number": `{"event":"endpoint.url_validation","payload":{"plainToken":7}}`,
		"plainToken too long": `{"event":"endpoint.url_validation","payload":{"plainToken":"` + strings.Repeat("a", 129) + `"}}`,
		"plainToken spaces":   `{"event":"endpoint.url_validation","payload":{"plainToken":"a b"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, ok, err := handshakeOf(t, v, nil, body)
			wantHandshakeError(t, ok, err, false, "payload.plainToken")
		})
	}
}

func TestDiscordHandshake(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	v := mustNew(t, Config{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": pub}})
	r, ok, err := handshakeOf(t, v, nil, `{"type":1,"id":"1091442367934521385","application_id":"1091442367934521300","token":"aW50ZXJhY3Rpb24","version":1}`)
	wantReply(t, r, ok, err, "application/json", `{"type":1}`)
	for name, body := range map[string]string{
		"an application command": `{"type":2,"id":"1","data":{"type":1,"name":"ping"}}`,
		"type a string":          `{"type":"1"}`,
		"type 10":                `{"type":10}`,
		"no type":                `{"id":"1"}`,
		"not JSON":               `type=1`,
	} {
		t.Run(name, func(t *testing.T) {
			if r, ok, err := handshakeOf(t, v, nil, body); ok || err != nil {
				t.Errorf("taken for a PING: %s %v", r.Body, err)
			}
		})
	}
	// The neutral ed25519 scheme answers no PING: its senders have none.
	if _, ok := mustNew(t, Config{Scheme: SchemeEd25519, Settings: map[string]string{"public_key": pub}}).(Handshaker); ok {
		t.Error("ed25519 answers Discord's PING")
	}
}

func TestMetaChallenge(t *testing.T) {
	const token = "a-verify-token-of-the-app"
	v := mustNew(t, Config{Scheme: SchemeMeta, Secrets: []Secret{"app-secret"}, SecretSettings: map[string]Secret{"verify_token": token}})
	c, ok := v.(Challenger)
	if !ok {
		t.Fatalf("meta with a verify_token is %T, not a Challenger", v)
	}
	query := func(mode, tok, challenge string) url.Values {
		q := url.Values{}
		for k, v := range map[string]string{"hub.mode": mode, "hub.verify_token": tok, "hub.challenge": challenge} {
			if v != "-" {
				q.Set(k, v)
			}
		}
		return q
	}
	r, err := c.Challenge(query("subscribe", token, "1158201444"))
	wantReply(t, r, true, err, "text/plain; charset=utf-8", "1158201444")
	// Base64 and base64url tokens are echoed too.
	r, err = c.Challenge(query("subscribe", token, "qgg8vlvZ-RS6_UYoo.atFL8A~w+/="))
	wantReply(t, r, true, err, "text/plain; charset=utf-8", "qgg8vlvZ-RS6_UYoo.atFL8A~w+/=")

	tests := []struct {
		name      string
		q         url.Values
		forbidden bool
		field     string
	}{
		{"wrong token", query("subscribe", "not-"+token, "1158201444"), true, "hub.verify_token"},
		{"a prefix of the token", query("subscribe", token[:5], "1158201444"), true, "hub.verify_token"},
		{"no token", query("subscribe", "-", "1158201444"), true, "hub.verify_token"},
		{"wrong mode", query("unsubscribe", token, "1158201444"), true, "hub.mode"},
		{"no mode", query("-", token, "1158201444"), true, "hub.mode"},
		{"no challenge", query("subscribe", token, "-"), false, "hub.challenge"},
		{"markup", query("subscribe", token, "<html><script>alert(1)</script>"), false, "hub.challenge"},
		{"too long", query("subscribe", token, strings.Repeat("1", 129)), false, "hub.challenge"},
		{"a newline", query("subscribe", token, "12\n34"), false, "hub.challenge"},
		{"not ASCII", query("subscribe", token, "12é"), false, "hub.challenge"},
		{"a quote", query("subscribe", token, `12"34`), false, "hub.challenge"},
		{"a semicolon", query("subscribe", token, "12;34"), false, "hub.challenge"},
		// The token is checked first: a wrong one learns nothing else.
		{"wrong token and bad challenge", query("nope", "x", "<b>"), true, "hub.verify_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Challenge(tc.q)
			if r.Body != nil {
				t.Errorf("reply %q beside the error", r.Body)
			}
			wantHandshakeError(t, true, err, tc.forbidden, tc.field)
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error %q holds the token", err)
			}
		})
	}
	// Without a verify_token, meta answers no GET, and its deliveries are
	// checked as before.
	plain := mustNew(t, Config{Scheme: SchemeMeta, Secrets: []Secret{"app-secret"}})
	if _, ok := plain.(Challenger); ok {
		t.Error("meta without a verify_token answers GET")
	}
	body := []byte(`{"object":"page"}`)
	assertReason(t, v.Verify(metaSign("app-secret", time.Time{}, body), body, time.Now()), "")
	assertReason(t, v.Verify(metaSign(token, time.Time{}, body), body, time.Now()), ReasonMismatch)
}

// A handshake is a property of the provider's scheme: the others answer
// none.
func TestOnlyProviderSchemesHandshake(t *testing.T) {
	shakers := map[string]bool{SchemeSlack: true, SchemeZoom: true, SchemeDiscord: true}
	for _, scheme := range Schemes() {
		cfg := Config{Scheme: scheme, Secrets: []Secret{PlaceholderSecret(scheme)}, Settings: map[string]string{}}
		for _, s := range Settings(scheme) {
			switch s {
			case "public_key":
				cfg.Secrets, cfg.Settings[s] = nil, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
			case "url":
				if scheme != SchemeHMAC { // hmac's url is for an expression that reads it
					cfg.Settings[s] = "https://bridge.example.com/webhooks/x"
				}
			case "header":
				cfg.Settings[s] = "X-Sig"
			}
		}
		if scheme == SchemeNone {
			cfg.Secrets = nil
		}
		v := mustNew(t, cfg)
		if _, ok := v.(Handshaker); ok != shakers[scheme] {
			t.Errorf("%s: Handshaker %v, want %v", scheme, ok, shakers[scheme])
		}
		if _, ok := v.(Challenger); ok {
			t.Errorf("%s without verify_token: a Challenger", scheme)
		}
	}
}

func TestSecretSettings(t *testing.T) {
	if !SecretSetting(SchemeMeta, "verify_token") || SecretSetting(SchemeSquare, "url") || SecretSetting(SchemeSlack, "verify_token") {
		t.Error("SecretSetting does not tell meta's verify_token apart")
	}
	for name, tc := range map[string]struct {
		cfg     Config
		setting string
		msg     string
	}{
		"secret setting on another scheme": {Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}, SecretSettings: map[string]Secret{"verify_token": "t"}},
			"verify_token", `scheme slack takes no secret setting "verify_token"`},
		"empty": {Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}, SecretSettings: map[string]Secret{"verify_token": ""}},
			"verify_token", "verify_token is empty"},
		"given as a plain setting": {Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}, Settings: map[string]string{"verify_token": "t"}},
			"verify_token", "verify_token is a secret: give it in SecretSettings"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != tc.setting || ce.Msg != tc.msg {
				t.Fatalf("New = %v, want %q at %s", err, tc.msg, tc.setting)
			}
		})
	}
}

// A mapping file gives verify_token as a ${VAR} reference, resolved as
// secrets are; a value written out, or a variable unset, is reported at
// the setting, and another scheme refuses the key.
func TestMetaVerifyTokenInABlock(t *testing.T) {
	v, problems := parseSignature(t, `  signature:
    scheme: meta
    verify_token: '${TOKEN}'
    secret: '${HMAC_SECRET}'`)
	if len(problems) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	c, ok := v.(Challenger)
	if !ok {
		t.Fatalf("%T is not a Challenger", v)
	}
	if r, err := c.Challenge(url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {signatureEnv["TOKEN"]}, "hub.challenge": {"42"}}); err != nil || string(r.Body) != "42" {
		t.Errorf("Challenge = %q, %v", r.Body, err)
	}
	for name, tc := range map[string]struct {
		webhook string
		want    []string
	}{
		"written out": {`  signature: {scheme: meta, secret: '${HMAC_SECRET}', verify_token: my-token}`,
			[]string{`f.yaml:4:69: webhook.signature.verify_token must be an environment reference like ${STRIPE_WEBHOOK_SECRET}; secrets are never written in mapping files`}},
		"unset": {`  signature: {scheme: meta, secret: '${HMAC_SECRET}', verify_token: '${NOPE}'}`,
			[]string{`f.yaml:4:69: webhook.signature.verify_token: environment variable NOPE is not set (a mapping with a missing secret does not load)`}},
		"a list": {`  signature: {scheme: meta, secret: '${HMAC_SECRET}', verify_token: ['${TOKEN}']}`,
			[]string{`f.yaml:4:69: webhook.signature.verify_token must be a single value, got a list`}},
		"before the scheme": {`  signature: {verify_token: '${NOPE}', scheme: meta, secret: '${HMAC_SECRET}'}`,
			[]string{`f.yaml:4:29: webhook.signature.verify_token: environment variable NOPE is not set (a mapping with a missing secret does not load)`}},
		"on slack": {`  signature: {scheme: slack, secret: '${HMAC_SECRET}', verify_token: '${TOKEN}'}`,
			[]string{`f.yaml:4:56: unknown key "verify_token" in webhook.signature for scheme slack (known keys: scheme, secret, secrets, tolerance)`}},
	} {
		t.Run(name, func(t *testing.T) {
			v, got := parseSignature(t, tc.webhook)
			if v != nil || strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got %v\n%s\nwant\n%s", v, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// With placeholders the token loads whatever the environment holds.
	if v, ds := parseSignatureWith(t, `{scheme: meta, secret: '${NOPE}', verify_token: '${NOPE_TOO}'}`, BlockOptions{Secret: placeholderSecret, Placeholders: true}); v == nil || len(ds) > 0 {
		t.Errorf("placeholders: %v, %v", v, ds)
	}
}

// placeholderSecret resolves every reference to a placeholder, as the
// loader does for the tools.
func placeholderSecret(value, _ string) (Secret, error) { return Secret("placeholder-" + value), nil }

func parseSignatureWith(t *testing.T, src string, opts BlockOptions) (Verifier, []yamlcheck.Diagnostic) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return ParseBlock(doc.Content[0], opts)
}

// FuzzHandshakes: whatever a verified body or a GET's query holds, the
// handshakes never panic, and a reply only ever echoes a short token.
func FuzzHandshakes(f *testing.F) {
	f.Add(`{"type":"url_verification","challenge":"abc"}`, "hub.mode=subscribe&hub.verify_token=t&hub.challenge=1")
	f.Add(`{"event":"endpoint.url_validation","payload":{"plainToken":"p"}}`, "hub.challenge=%3Cb%3E")
	f.Add(`{"type":1}`, "")
	f.Add(`{"type":"url_verification","challenge":"\u003cb\u003e"}`, "hub.verify_token=t&hub.mode=subscribe&hub.challenge=a%20b")
	var shakers []Handshaker
	for _, cfg := range []Config{
		{Scheme: SchemeSlack, Secrets: []Secret{"s"}},
		{Scheme: SchemeZoom, Secrets: []Secret{"s"}},
		{Scheme: SchemeDiscord, Settings: map[string]string{"public_key": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"}},
	} {
		v, err := New(cfg)
		if err != nil {
			f.Fatal(err)
		}
		shakers = append(shakers, v.(Handshaker))
	}
	meta, err := New(Config{Scheme: SchemeMeta, Secrets: []Secret{"s"}, SecretSettings: map[string]Secret{"verify_token": "t"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, rawQuery string) {
		for _, hs := range shakers {
			r, ok, err := hs.Handshake(http.Header{}, []byte(body))
			if !ok && (err != nil || r.Body != nil) {
				t.Fatalf("%T: not a handshake, yet %q %v", hs, r.Body, err)
			}
			if err == nil && ok && !json.Valid(r.Body) {
				t.Fatalf("%T: reply %q is not JSON", hs, r.Body)
			}
		}
		q, _ := url.ParseQuery(rawQuery)
		r, err := meta.(Challenger).Challenge(q)
		if err == nil && !shortToken(string(r.Body)) {
			t.Fatalf("echoed %q", r.Body)
		}
	})
}

// TestSlackHandshakeAgreesWithSlackGo: what slack-go, Slack's Go SDK,
// parses as a url_verification is what the scheme answers, and its
// ChallengeResponse reads the answer back as the challenge.
func TestSlackHandshakeAgreesWithSlackGo(t *testing.T) {
	body := `{"token":"fake-token","challenge":"aljdsflaji3jj","type":"url_verification"}`
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
	if !ok || ev.Type != slackevents.URLVerification {
		t.Fatalf("slack-go parses %T %s", ev.Data, ev.Type)
	}
	v := mustNew(t, Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}})
	r, ok, err := handshakeOf(t, v, nil, body)
	if !ok || err != nil {
		t.Fatalf("not answered: %v", err)
	}
	var cr slackevents.ChallengeResponse
	if err := json.Unmarshal(r.Body, &cr); err != nil || cr.Challenge != uv.Challenge {
		t.Errorf("answer %s read by slack-go as %+v (%v), want challenge %q", r.Body, cr, err, uv.Challenge)
	}
	want, _ := json.Marshal(slackevents.ChallengeResponse{Challenge: uv.Challenge})
	if string(r.Body) != string(want) {
		t.Errorf("answer %s, slack-go's own %s", r.Body, want)
	}
}
