package signature

import "net/http"

// Slack signs "v0:<X-Slack-Request-Timestamp>:<body>" with HMAC-SHA256
// keyed with the app's signing secret and sends "v0=<hex>" in
// X-Slack-Signature; the timestamp (unix seconds) must be within the
// tolerance (https://docs.slack.dev/authentication/verifying-requests-from-slack/,
// as slack-go's SecretsVerifier checks it). Slack sends no delivery id
// header: the Events API's event_id is in the body.
//
// When an Events API Request URL is saved, Slack posts a signed
// {"type":"url_verification","challenge":C} and expects C back
// (https://docs.slack.dev/reference/events/url_verification: as text,
// a form or {"challenge":C}); the scheme answers {"challenge":C}.
const (
	slackSignature = "X-Slack-Signature"
	slackTimestamp = "X-Slack-Request-Timestamp"
)

// slackHandshake marks the body of a handshake.
var slackHandshake = []byte("url_verification")

type slackScheme struct{ *fixedMAC }

func newSlack(cfg Config) (Verifier, []error) {
	return slackScheme{newFixedMAC(cfg, fixedMAC{sigHeader: slackSignature, macEncoding: macEncoding{prefix: "v0="}, tsHeader: slackTimestamp, before: "v0:", between: ":"})}, nil
}

// Handshake answers a url_verification with its challenge.
func (slackScheme) Handshake(_ http.Header, body []byte) (Reply, bool, error) {
	if !mentions(body, slackHandshake) {
		return Reply{}, false, nil
	}
	m := topLevel(body)
	if typ, _ := stringMember(m, "type"); typ != "url_verification" {
		return Reply{}, false, nil
	}
	c, ok := stringMember(m, "challenge")
	if !ok || !shortToken(c) {
		return Reply{}, true, badChallenge("challenge")
	}
	return jsonReply(map[string]string{"challenge": c}), true, nil
}
