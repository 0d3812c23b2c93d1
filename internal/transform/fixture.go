package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bridge-dev/bridge/eventsprotocol"
)

// FixtureTime is the receive time fixtures run at, so events whose rule
// sets no `time` reproduce.
var FixtureTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// FixtureResult is the outcome of one fixture.
type FixtureResult struct {
	Mapping *Mapping
	Rule    *Rule
	Fixture Fixture
	Err     error // nil when the output matched (or was written, with update)
	Updated bool  // the expected file was (re)written
}

// RunFixtures runs every rule's fixtures of every mapping of the set, in
// provider and rule order. With update, an expected file that differs (or
// does not exist) is rewritten from the actual output.
func (s *Set) RunFixtures(update bool) []FixtureResult {
	var out []FixtureResult
	for _, p := range s.Providers() {
		m := s.mappings[p]
		for _, r := range m.rules {
			for _, f := range r.Tests {
				res := FixtureResult{Mapping: m, Rule: r, Fixture: f}
				res.Updated, res.Err = m.RunFixture(r, f, update)
				out = append(out, res)
			}
		}
	}
	return out
}

// RunFixture applies the mapping to the fixture's payload and compares the
// output with the expected file. The output is what `bridge map` prints: a
// JSON array of the events, or {"dropped": true, "rule": ...}. In the
// expected events `id` may be left out (it is new on every run; it is still
// checked to be a UUID v7), and any string value written "re:<regexp>"
// matches by pattern.
func (m *Mapping) RunFixture(r *Rule, f Fixture, update bool) (updated bool, err error) {
	body, err := os.ReadFile(f.Payload)
	if err != nil {
		return false, fmt.Errorf("payload: %w", err)
	}
	in, err := m.fixtureInput(f, body)
	if err != nil {
		return false, fmt.Errorf("payload %s: %w", f.Payload, err)
	}
	res := m.Apply(in)
	switch {
	case res.Failure != nil:
		where := ""
		if res.Rule != nil {
			where = fmt.Sprintf(" (rule %q)", res.Rule.Name)
		}
		return false, fmt.Errorf("dead-lettered%s: %s: %v", where, res.Failure.Reason, res.Failure)
	case res.Rule != r:
		return false, fmt.Errorf("the payload matched rule %q, not this rule", res.Rule.Name)
	}
	actual, err := Render(res, false)
	if err != nil {
		return false, err
	}
	want, err := os.ReadFile(f.Expect)
	if err != nil && !(update && errors.Is(err, os.ErrNotExist)) {
		return false, fmt.Errorf("expect: %w", err)
	}
	if err == nil {
		diff, err := compareOutput(want, actual)
		if err != nil {
			return false, fmt.Errorf("expect %s: %w", f.Expect, err)
		}
		if diff == "" {
			return false, nil
		}
		if !update {
			return false, fmt.Errorf("output differs from %s (-want +got):\n%s", f.Expect, diff)
		}
	}
	if err := os.WriteFile(f.Expect, actual, 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// fixtureInput reads a fixture's payload as the ingestor the file serves
// would: an events-protocol envelope for a file that takes only the events
// protocol, else a webhook body of the file's content type.
func (m *Mapping) fixtureInput(f Fixture, body []byte) (Input, error) {
	header := http.Header{}
	for k, v := range f.Headers {
		header.Set(k, v)
	}
	if m.Accepts(IngestEvents) && !m.Accepts(IngestWebhook) && !m.Accepts(IngestNATS) {
		env, err := eventsprotocol.Parse(body)
		if err != nil {
			return Input{}, err
		}
		in, err := fixtureEnvelopeInput(env, header, FixtureTime)
		in.Provider = m.Provider
		return in, err
	}
	ct := ContentJSON
	if !strings.HasSuffix(f.Payload, ".json") && len(m.ContentTypes) > 0 {
		ct = m.ContentTypes[len(m.ContentTypes)-1]
	}
	payload, err := m.Decode(ct, body)
	if err != nil {
		return Input{}, err
	}
	in := NewInput(m.Provider, IngestWebhook, body, header, FixtureTime)
	in.Payload = payload
	return in, nil
}

// Render writes a result the way `bridge map` prints it: an indented JSON
// array of the events, or {"dropped": true, "rule": ...}. Without ids, each
// event's id is checked to be a UUID v7 and left out (fixtures compare
// everything else). A failed result renders as an error.
func Render(res Result, ids bool) ([]byte, error) {
	if res.Failure != nil {
		return nil, res.Failure
	}
	var v any
	if res.Dropped {
		v = map[string]any{"dropped": true, "rule": res.Rule.Name}
	} else {
		events := make([]any, 0, len(res.Events))
		for _, e := range res.Events {
			var ev map[string]any
			if err := json.Unmarshal(e.JSON, &ev); err != nil {
				return nil, err
			}
			if u, err := uuid.Parse(e.ID); err != nil || u.Version() != 7 {
				return nil, fmt.Errorf("event id %q is not a UUID v7", e.ID)
			}
			if !ids {
				delete(ev, "id")
			}
			events = append(events, ev)
		}
		v = events
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compareOutput returns "" when want matches got, else a line diff.
func compareOutput(want, got []byte) (string, error) {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "", err
	}
	if matches(w, g) {
		return "", nil
	}
	// Show the diff against the expected file with its patterns resolved
	// where they match, so only real differences stand out.
	return lineDiff(string(want), string(got)), nil
}

func matches(want, got any) bool {
	switch w := want.(type) {
	case string:
		if p, ok := strings.CutPrefix(w, "re:"); ok {
			s, isStr := got.(string)
			re, err := regexp.Compile("^(?:" + p + ")$")
			return isStr && err == nil && re.MatchString(s)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !matches(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matches(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

// lineDiff is a small longest-common-subsequence diff of two texts, enough
// for fixture files of a few hundred lines.
func lineDiff(a, b string) string {
	x, y := strings.Split(strings.TrimRight(a, "\n"), "\n"), strings.Split(strings.TrimRight(b, "\n"), "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "+ %s\n", y[j])
			j++
		default:
			fmt.Fprintf(&out, "- %s\n", x[i])
			i++
		}
	}
	return out.String()
}
