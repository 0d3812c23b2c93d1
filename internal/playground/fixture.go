package playground

import (
	"bytes"
	"context"
	"fmt"
	"net/textproto"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Fixture is the fixture test that pins a dry run's outcome, as
// `bridge test` runs it: add Entry under the rule's `tests:` and write the
// two files next to the shipped examples.
type Fixture struct {
	Rule        string `json:"rule"` // the rule the entry goes under
	Line        int    `json:"line"` // the rule's line in its file
	Entry       string `json:"entry"`
	PayloadFile string `json:"payload_file"` // relative to the mapping file
	Payload     string `json:"payload"`      // the payload file's content
	ExpectFile  string `json:"expect_file"`  // relative to the mapping file
	Expect      string `json:"expect"`       // the expected file's content
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FixtureFor maps in again as `bridge test` does (receive time
// fixture.Time) and returns the fixture that expects its output,
// or nil when the payload does not map (a dead letter is no fixture). The
// files are named after the rule, under ../examples/<provider>/ as the
// shipped mappings' are; the payload file holds the body byte for byte
// (without an idempotency_key, the key is the body's hash).
//
// The second evaluation has the limits and the context of the first.
func FixtureFor(ctx context.Context, m *transform.Mapping, in Input, limits transform.Limits) (*Fixture, error) {
	in.ReceivedAt = fixture.Time
	res, err := MapContext(ctx, m, in, limits)
	if err != nil || res.Failure != nil {
		return nil, err
	}
	expect, err := fixture.Render(res, false)
	if err != nil {
		return nil, err
	}
	name := strings.Trim(unsafeName.ReplaceAllString(res.Rule.Name, "_"), "._")
	if name == "" {
		name = "rule"
	}
	dir := "../examples/" + m.Provider + "/"
	f := &Fixture{Rule: res.Rule.Name, Line: res.Rule.Line, Expect: string(expect),
		PayloadFile: dir + name + ".json", ExpectFile: dir + name + ".event.json", Payload: string(in.Body)}
	if res.Dropped {
		f.ExpectFile = dir + name + ".dropped.json"
	}
	if ct := in.ContentType; ct != "" && ct != transform.ContentJSON {
		// A payload file not named .json is read as the file's last content type.
		f.PayloadFile = dir + name + ".form"
	}
	if f.Entry, err = fixtureEntry(f, in.Headers); err != nil {
		return nil, err
	}
	return f, nil
}

// fixtureEntry writes the `tests:` entry, indented for a rule of a file
// laid out as the shipped ones (rules at two spaces, their keys at four).
func fixtureEntry(f *Fixture, headers map[string]string) (string, error) {
	entry := yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		entry.Content = append(entry.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	add("payload", str(f.PayloadFile))
	if len(headers) > 0 {
		names := make([]string, 0, len(headers))
		canon := map[string]string{}
		for k, v := range headers {
			c := textproto.CanonicalMIMEHeaderKey(k)
			names = append(names, c)
			canon[c] = v
		}
		sort.Strings(names)
		h := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range names {
			h.Content = append(h.Content, str(k), str(canon[k]))
		}
		add("headers", h)
	}
	add("expect", str(f.ExpectFile))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{&entry}}); err != nil {
		return "", fmt.Errorf("fixture entry: %w", err)
	}
	var out strings.Builder
	out.WriteString("    tests:\n")
	for line := range strings.Lines(buf.String()) {
		out.WriteString("      " + line)
	}
	return out.String(), nil
}
