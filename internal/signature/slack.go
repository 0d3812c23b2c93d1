package signature

// Slack signs "v0:<X-Slack-Request-Timestamp>:<body>" with HMAC-SHA256
// keyed with the app's signing secret and sends "v0=<hex>" in
// X-Slack-Signature; the timestamp (unix seconds) must be within the
// tolerance (https://docs.slack.dev/authentication/verifying-requests-from-slack/,
// as slack-go's SecretsVerifier checks it). Slack sends no delivery id
// header: the Events API's event_id is in the body.
const (
	slackSignature = "X-Slack-Signature"
	slackTimestamp = "X-Slack-Request-Timestamp"
)

func newSlack(cfg Config) (Verifier, []error) {
	return newFixedMAC(cfg, fixedMAC{sigHeader: slackSignature, prefix: "v0=", tsHeader: slackTimestamp, before: "v0:", between: ":"}), nil
}
