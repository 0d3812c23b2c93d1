package signature

import (
	"errors"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/yamlcheck"
)

// BlockOptions says how ParseBlock resolves the secrets of a block.
type BlockOptions struct {
	// Secret resolves one secret as written in the block (a ${VAR}
	// reference) and returns it, or an error saying what is wrong with it
	// (reported at the secret); what names the secret
	// ("webhook.signature.secret"). Required.
	Secret func(value, what string) (Secret, error)
	// Placeholders gives every resolved secret PlaceholderSecret's value,
	// for the tools that never verify a signature.
	Placeholders bool
}

// ParseBlock reads the webhook.signature block of a mapping file (scheme,
// secret or secrets, tolerance, and the scheme's settings, those that are
// secrets resolved as the secrets are), builds its verifier with New, and
// returns it with every diagnostic, each at the key or value it concerns:
// an unknown key where it is, a scheme's complaint at the setting it
// names, else at the scheme. The verifier is nil when there is a
// diagnostic.
func ParseBlock(n *yaml.Node, opts BlockOptions) (Verifier, []yamlcheck.Diagnostic) {
	b := &block{opts: opts, settingNodes: map[string]*yaml.Node{}, reported: map[string]bool{}, schemeOK: true, peeked: peekScheme(n)}
	known, what := blockKeys(n)
	for _, p := range b.c.Fields(n, what, known...) {
		b.read(p[0].Value, p[1])
	}
	if b.schemeNode == nil {
		b.c.Errorf(n, "webhook.signature.scheme is required (one of %s)", strings.Join(Schemes(), ", "))
		return nil, b.c.Diagnostics
	}
	if !b.schemeOK {
		return nil, b.c.Diagnostics
	}
	if opts.Placeholders {
		for i, sec := range b.cfg.Secrets {
			if sec != "" {
				b.cfg.Secrets[i] = PlaceholderSecret(b.cfg.Scheme)
			}
		}
	}
	v, err := New(b.cfg)
	b.reportNew(err)
	if err != nil || len(b.c.Diagnostics) > 0 {
		return nil, b.c.Diagnostics
	}
	return v, nil
}

// block is the state of one ParseBlock: the Config being built and the
// node each of its values came from.
type block struct {
	c    yamlcheck.Checker
	opts BlockOptions
	cfg  Config

	schemeNode, toleranceNode *yaml.Node
	secretNodes               []*yaml.Node          // one per cfg.Secrets entry; "" marks a reference already reported
	settingNodes              map[string]*yaml.Node // the scheme's settings
	reported                  map[string]bool       // settings whose value is already reported
	schemeOK                  bool
	peeked                    string // the scheme named in the block, read before its other keys
}

// peekScheme returns the value of the block's scheme key, "" when there is
// none.
func peekScheme(n *yaml.Node) string {
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "scheme" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// blockKeys returns the keys a block may hold and how diagnostics name
// it. The scheme decides which settings the block may hold: it is looked
// up first, so that an unknown key is reported where it is. An unknown
// scheme allows every scheme's settings (New reports the scheme; its
// settings are not the problem).
func blockKeys(n *yaml.Node) (known []string, what string) {
	known = []string{"scheme", "secret", "secrets", "tolerance"}
	what = "webhook.signature"
	name := peekScheme(n)
	if slices.Contains(Schemes(), name) {
		return append(known, Settings(name)...), what + " for scheme " + name
	}
	for _, sc := range Schemes() {
		for _, s := range Settings(sc) {
			if !slices.Contains(known, s) {
				known = append(known, s)
			}
		}
	}
	return known, what
}

// read takes one key of the block into the Config.
func (b *block) read(key string, v *yaml.Node) {
	switch key {
	case "scheme":
		b.schemeNode = v
		b.cfg.Scheme, b.schemeOK = b.c.Scalar(v, "webhook.signature.scheme")
	case "secret":
		b.addSecret(v, "webhook.signature.secret")
	case "secrets":
		if v.Kind != yaml.SequenceNode {
			b.c.Errorf(v, "webhook.signature.secrets must be a list")
			return
		}
		for _, c := range v.Content {
			b.addSecret(c, "webhook.signature.secrets entry")
		}
	case "tolerance":
		b.toleranceNode = v
		s, ok := b.c.Scalar(v, "webhook.signature.tolerance")
		d, err := time.ParseDuration(s)
		if ok && (err != nil || d <= 0) {
			b.c.Errorf(v, "webhook.signature.tolerance %q must be a positive duration like 5m", s)
		}
		if !ok || err != nil || d <= 0 {
			b.reported["tolerance"] = true
			return
		}
		b.cfg.Tolerance = d
	default: // one of the scheme's settings
		b.settingNodes[key] = v
		if SecretSetting(b.peeked, key) {
			b.addSecretSetting(key, v)
			return
		}
		s, ok := b.c.Scalar(v, "webhook.signature."+key)
		if !ok {
			b.reported[key] = true
			return
		}
		if b.cfg.Settings == nil {
			b.cfg.Settings = map[string]string{}
		}
		b.cfg.Settings[key] = s
	}
}

// addSecret resolves a secret and keeps it ("" when it cannot be: that is
// reported here) with its node.
func (b *block) addSecret(n *yaml.Node, what string) {
	var sec Secret
	if s, ok := b.c.Scalar(n, what); ok {
		var err error
		if b.opts.Secret == nil {
			err = errors.New(what + ": no way to resolve secrets here")
		} else {
			sec, err = b.opts.Secret(s, what)
		}
		if err != nil {
			b.c.Errorf(n, "%s", err.Error())
			sec = ""
		}
	}
	b.cfg.Secrets = append(b.cfg.Secrets, sec)
	b.secretNodes = append(b.secretNodes, n)
}

// addSecretSetting resolves a setting that is a secret (a ${VAR}
// reference, as a secret is); one that cannot be is reported here and left
// out.
func (b *block) addSecretSetting(key string, n *yaml.Node) {
	what := "webhook.signature." + key
	b.reported[key] = true // unless it resolves, below
	s, ok := b.c.Scalar(n, what)
	if !ok {
		return
	}
	if b.opts.Secret == nil {
		b.c.Errorf(n, "%s: no way to resolve secrets here", what)
		return
	}
	sec, err := b.opts.Secret(s, what)
	if err != nil {
		b.c.Errorf(n, "%s", err.Error())
		return
	}
	if b.cfg.SecretSettings == nil {
		b.cfg.SecretSettings = map[string]Secret{}
	}
	b.cfg.SecretSettings[key] = sec
	delete(b.reported, key)
}

// reportNew reports what New says of the Config. New sees every secret,
// the unresolved ones as "", so that its numbers match the file; what it
// says of those, and of settings whose value was not a single value, is
// already reported. The rest is reported at the setting it names, else at
// the scheme.
func (b *block) reportNew(err error) {
	for _, e := range splitJoined(err) {
		if e == nil {
			continue
		}
		at := b.schemeNode
		var ce *ConfigError
		if errors.As(e, &ce) {
			if b.reported[ce.Setting] {
				continue
			}
			switch {
			case ce.Setting == "secrets" && ce.Secret > 0 && ce.Secret <= len(b.secretNodes):
				if b.cfg.Secrets[ce.Secret-1] == "" {
					continue
				}
				at = b.secretNodes[ce.Secret-1]
			case ce.Setting == "tolerance" && b.toleranceNode != nil:
				at = b.toleranceNode
			case b.settingNodes[ce.Setting] != nil:
				at = b.settingNodes[ce.Setting]
				if ee := (*exprError)(nil); errors.As(e, &ee) && ee.line > 0 {
					at = exprNode(at, ee.line, ee.column)
				}
			}
		}
		b.c.Errorf(at, "webhook.signature: %v", e)
	}
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
