package docs

import (
	"bufio"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/signature"
	"github.com/bridge-dev/bridge/internal/transform"
)

// sigDoc is docs/signatures.md cut into what the tests below check: its
// example requests, each with the verifications written above it, and its
// mapping examples, by section.
type sigDoc struct {
	requests []sigRequest
	yamls    map[string][]sigYAML // by section heading
}

// sigRequest is a fenced block that starts "POST /webhooks/": a raw HTTP
// request, as a provider sends it.
type sigRequest struct {
	section  string
	line     int
	verifies []map[string]string // one per <!-- verify: k=v ... --> comment above the block
	text     string
}

type sigYAML struct {
	line int
	text string
}

var verifyComment = regexp.MustCompile(`^<!-- verify:((?: [a-z_]+=\S*)*) -->$`)

func readSigDoc(t *testing.T) sigDoc {
	t.Helper()
	doc := sigDoc{yamls: map[string][]sigYAML{}}
	var section, fence string
	var block []string
	var pending []map[string]string
	start := 0
	sc := bufio.NewScanner(strings.NewReader(readDoc(t, "signatures.md")))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case fence != "" && strings.TrimSpace(line) == "```":
			text := strings.Join(block, "\n")
			switch {
			case fence == "```yaml":
				doc.yamls[section] = append(doc.yamls[section], sigYAML{start, text})
			case strings.HasPrefix(text, "POST /webhooks/"):
				doc.requests = append(doc.requests, sigRequest{section, start, pending, text})
			}
			fence, block, pending = "", nil, nil
		case fence != "":
			block = append(block, line)
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			fence, start = strings.TrimSpace(line), n+1
		case strings.HasPrefix(line, "## "):
			section, pending = strings.TrimPrefix(line, "## "), nil
		case verifyComment.MatchString(line):
			kv := map[string]string{}
			for _, f := range strings.Fields(verifyComment.FindStringSubmatch(line)[1]) {
				k, v, _ := strings.Cut(f, "=")
				kv[k] = v
			}
			pending = append(pending, kv)
		case strings.TrimSpace(line) != "":
			pending = nil // a comment belongs to the block right below it
		}
	}
	return doc
}

// parseRequest reads a raw HTTP request as the docs write it: request
// line, headers, a blank line, the body (its lines joined by "\n").
func parseRequest(t *testing.T, text string) (*url.URL, http.Header, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	parts := strings.Fields(lines[0])
	if len(parts) != 3 || parts[2] != "HTTP/1.1" {
		t.Fatalf("request line %q, want POST <path> HTTP/1.1", lines[0])
	}
	u, err := url.ParseRequestURI(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("header line %q", l)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	return u, h, []byte(body)
}

// signatureBlock returns the webhook.signature node of a mapping example,
// the file's provider ("" when it names none), and whether it has one.
func signatureBlock(t *testing.T, text string) (*yaml.Node, string, bool) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	root := doc.Content[0]
	provider, webhook := "", (*yaml.Node)(nil)
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "provider":
			provider = root.Content[i+1].Value
		case "webhook":
			webhook = root.Content[i+1]
		}
	}
	for i := 0; webhook != nil && i+1 < len(webhook.Content); i += 2 {
		if webhook.Content[i].Value == "signature" {
			return webhook.Content[i+1], provider, true
		}
	}
	return nil, provider, false
}

// setKey sets key to value in the mapping node n, adding it when absent.
func setKey(n *yaml.Node, key, value string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// TestSignatureExamplesVerify: every example request of
// docs/signatures.md carries one or more `<!-- verify: ... -->` comments
// (secret=the example's secret, at=the unix time it was signed, and any
// setting to change in the mapping, e.g. url= or scheme=), and verifies
// with its section's mapping for the request's provider (or the section's
// one mapping without a provider), changed so; signed with another secret
// (or, for public keys, with its body changed) it is refused. Every scheme
// has an example that verifies.
func TestSignatureExamplesVerify(t *testing.T) {
	doc := readSigDoc(t)
	covered := map[string]bool{}
	for _, req := range doc.requests {
		u, h, body := parseRequest(t, req.text)
		provider := strings.SplitN(strings.TrimPrefix(u.Path, "/webhooks/"), "/", 2)[0]
		name := "signatures.md:" + strconv.Itoa(req.line) + " (" + req.section + ")"
		if len(req.verifies) == 0 {
			t.Errorf("%s: the example request has no <!-- verify: secret=... at=... --> comment above it", name)
			continue
		}
		var mapping, anon []sigYAML
		for _, y := range doc.yamls[req.section] {
			if _, p, ok := signatureBlock(t, y.text); ok && p == provider {
				mapping = append(mapping, y)
			} else if ok && p == "" {
				anon = append(anon, y)
			}
		}
		if len(mapping) == 0 {
			mapping = anon
		}
		if len(mapping) != 1 {
			t.Errorf("%s: %d mapping examples in the section for provider %q, want one", name, len(mapping), provider)
			continue
		}
		for _, kv := range req.verifies {
			at := time.Now()
			if s, ok := kv["at"]; ok {
				sec, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					t.Fatalf("%s: at=%q", name, s)
				}
				at = time.Unix(sec, 0)
			}
			verify := func(placeholder bool, body []byte) (string, error) {
				sig, _, _ := signatureBlock(t, mapping[0].text)
				for k, v := range kv {
					if k != "secret" && k != "at" {
						setKey(sig, k, v)
					}
				}
				scheme := ""
				for i := 0; i+1 < len(sig.Content); i += 2 {
					if sig.Content[i].Value == "scheme" {
						scheme = sig.Content[i+1].Value
					}
				}
				v, ds := signature.ParseBlock(sig, signature.BlockOptions{Secret: func(value, what string) (signature.Secret, error) {
					if placeholder {
						return signature.PlaceholderSecret(scheme), nil
					}
					return signature.Secret(kv["secret"]), nil
				}})
				if len(ds) > 0 {
					t.Fatalf("%s: the mapping at line %d: %v", name, mapping[0].line, ds)
				}
				return scheme, signature.VerifyRequest(v, u, h, body, at)
			}
			scheme, err := verify(false, body)
			if err != nil {
				t.Errorf("%s: scheme %s refuses the example: %v", name, scheme, err)
				continue
			}
			covered[scheme] = true
			switch scheme {
			case signature.SchemeNone:
			case signature.SchemeDiscord, signature.SchemeEd25519:
				if _, err := verify(false, append(slices.Clone(body), ' ')); err == nil {
					t.Errorf("%s: scheme %s takes the example with its body changed", name, scheme)
				}
			default:
				if _, err := verify(true, body); err == nil {
					t.Errorf("%s: scheme %s takes the example with another secret", name, scheme)
				}
			}
		}
	}
	for _, s := range signature.Schemes() {
		if !covered[s] {
			t.Errorf("docs/signatures.md has no example request that verifies with scheme %s", s)
		}
	}
}

// TestSignatureMappingExamplesLoad: every whole mapping file in
// docs/signatures.md (one with provider and rules) loads, as bridge check
// would load it (the secrets replaced by placeholders).
func TestSignatureMappingExamplesLoad(t *testing.T) {
	n := 0
	for section, ys := range readSigDoc(t).yamls {
		for _, y := range ys {
			if !strings.Contains(y.text, "provider:") || !strings.Contains(y.text, "\nrules:") {
				continue
			}
			n++
			if _, problems := transform.Parse("signatures.md", []byte(y.text), transform.Options{PlaceholderSecrets: true}); len(problems) > 0 {
				t.Errorf("signatures.md:%d (%s): the mapping does not load: %v", y.line, section, problems)
			}
		}
	}
	if n == 0 {
		t.Error("no whole mapping file found in docs/signatures.md")
	}
}
