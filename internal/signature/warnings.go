package signature

import (
	"gopkg.in/yaml.v3"
)

// Slugs of the warnings BlockWarnings gives: stable names that the docs
// (docs/mappings.md, "Warnings") explain and tools may match on.
const (
	// WarnNoneWithSecret: a block with scheme none names a secret, which
	// nothing reads: the author may believe deliveries are verified.
	WarnNoneWithSecret = "none-with-secret"
	// WarnNoneUnverified: scheme none verifies nothing; only a listener
	// that requires client certificates (mutual TLS) keeps strangers out.
	WarnNoneUnverified = "none-unverified"
)

// Warning is something in a webhook.signature block that loads but does
// not do what it seems to, at the position of the key or value it
// concerns. Unlike a diagnostic it does not stop the file from loading.
type Warning struct {
	Line   int // 1-based
	Column int // 1-based
	Slug   string
	Msg    string
}

// BlockWarnings returns the warnings of a webhook.signature block (the
// node ParseBlock reads), in file order. A block with scheme none gets
// WarnNoneWithSecret at each secret it names and, when webhooks reach it
// (serves), WarnNoneUnverified at its scheme: the caller knows whether the
// file serves webhooks, and whether the listener requires client
// certificates (then the second warning does not apply). Any other secret
// setting under none (public_key, verify_token...) is already an error of
// ParseBlock (scheme none takes no setting), so only secret and secrets
// are looked at here. A block that is not a mapping gives nothing:
// ParseBlock reports it.
func BlockWarnings(n *yaml.Node, serves bool) []Warning {
	if n == nil || n.Kind != yaml.MappingNode || peekScheme(n) != SchemeNone {
		return nil
	}
	var out []Warning
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch k.Value {
		case "scheme":
			if serves {
				v := n.Content[i+1]
				out = append(out, Warning{Line: v.Line, Column: v.Column, Slug: WarnNoneUnverified,
					Msg: "scheme none verifies nothing: anyone who can reach the webhook URL can store events as this provider; " +
						"use the provider's signature scheme, or require client certificates (mutual TLS) on the listener (--tls-client-ca) or on the proxy in front of it"})
			}
		case "secret", "secrets":
			out = append(out, Warning{Line: k.Line, Column: k.Column, Slug: WarnNoneWithSecret,
				Msg: "webhook.signature." + k.Value + " is not used: scheme none verifies nothing; " +
					"set the scheme that uses this secret (hmac, stripe, github...), or remove the " + k.Value})
		}
	}
	return out
}
