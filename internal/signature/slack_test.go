package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// slackSign signs as Slack does: "v0=" and the hex HMAC-SHA256 of
// "v0:<timestamp>:<body>".
func slackSign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// Published examples: Slack's "Verifying requests from Slack" walk-through
// (a slash command), and the vector of slack-go's own security_test.go.
var slackVectors = []struct {
	name, secret string
	ts           int64
	body, sig    string
}{
	{"Slack's documentation", "8f742231b10e8888abcd99yyyzzz85a5", 1531420618,
		"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
	{"slack-go's test suite", "e6b19c573432dcc6b075501d51b51bb8", 1531431954,
		`{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`,
		"v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c"},
	{"docs/signatures.md's example", "8f742231b10e8888abcd99yyyzzz85a5", 1700000000,
		`{"type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"message","text":"hi"}}`,
		"v0=61d6329713d3c10da45306148b89b290752b2540a2475da21f94fac970347dcb"},
}

func TestSlackPublishedVectors(t *testing.T) {
	for _, vec := range slackVectors {
		t.Run(vec.name, func(t *testing.T) {
			at := time.Unix(vec.ts, 0)
			h := http.Header{}
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(vec.ts, 10))
			h.Set("X-Slack-Signature", vec.sig)
			v := mustNew(t, Config{Scheme: SchemeSlack, Secrets: []Secret{Secret(vec.secret)}})
			assertReason(t, v.Verify(h, []byte(vec.body), at), "")
			assertReason(t, v.Verify(h, []byte(vec.body+"&x=1"), at), ReasonMismatch)
			assertReason(t, v.Verify(h, []byte(vec.body), at.Add(time.Hour)), ReasonExpired)
			if got := slackSign(vec.secret, at, []byte(vec.body)).Get("X-Slack-Signature"); got != vec.sig {
				t.Errorf("slackSign = %s, want the published %s", got, vec.sig)
			}
		})
	}
}

// TestSlackAgreesWithSlackGo checks the test signer against Slack's
// official Go SDK's verifier, so that what TestSlack signs is what Slack
// sends.
func TestSlackAgreesWithSlackGo(t *testing.T) {
	body := []byte(`{"type":"event_callback","event_id":"Ev01"}`)
	h := slackSign("secret-of-the-app", time.Now(), body)
	sv, err := slack.NewSecretsVerifier(h, "secret-of-the-app")
	if err != nil {
		t.Fatal(err)
	}
	sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Fatalf("slack-go refuses the test signature: %v", err)
	}
	v := mustNew(t, Config{Scheme: SchemeSlack, Secrets: []Secret{"secret-of-the-app"}})
	assertReason(t, v.Verify(h, body, time.Now()), "")
}

func TestSlack(t *testing.T) {
	testProviderScheme(t, SchemeSlack, slackSign, "X-Slack-Signature", "X-Slack-Request-Timestamp")
	if got := mustNew(t, Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}}).DeliveryHeader(); got != "" {
		t.Errorf("DeliveryHeader = %q, want none", got)
	}
}

func FuzzSlackHeaders(f *testing.F) {
	body := []byte(`{"type":"event_callback"}`)
	good := slackSign("s", time.Unix(1_700_000_000, 0), body)
	f.Add(good.Get("X-Slack-Signature"), good.Get("X-Slack-Request-Timestamp"))
	f.Add("v0=", "")
	f.Add("v0=zz", "-1")
	v, err := New(Config{Scheme: SchemeSlack, Secrets: []Secret{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string) {
		h := http.Header{}
		h.Set("X-Slack-Signature", sig)
		h.Set("X-Slack-Request-Timestamp", ts)
		if err := v.Verify(h, body, time.Unix(1_700_000_000, 0)); err != nil && !isRejection(err) {
			t.Fatalf("Verify returned %v, not a rejection", err)
		}
	})
}
