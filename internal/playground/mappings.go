package playground

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bridge-dev/bridge/internal/buildinfo"
	"github.com/bridge-dev/bridge/internal/fixture"
	"github.com/bridge-dev/bridge/internal/transform"
)

// setView is the answer of GET /api/mappings.
type setView struct {
	Bridge   About       `json:"bridge"`
	Mappings mappingsSet `json:"mappings"`
}

type mappingsSet struct {
	Dir        string         `json:"dir"`
	SchemasDir string         `json:"schemas_dir,omitempty"`
	LoadedAt   *time.Time     `json:"loaded_at,omitempty"`
	Providers  []providerView `json:"providers"`
}

type providerView struct {
	Provider     string     `json:"provider"`
	File         string     `json:"file"`
	Accepts      []string   `json:"accepts"`
	ContentTypes []string   `json:"content_types"`
	Rules        []ruleView `json:"rules"`
}

type ruleView struct {
	Name string `json:"name"`
	Line int    `json:"line"`
	Type string `json:"type,omitempty"` // empty for a drop rule
	Drop bool   `json:"drop,omitempty"`
}

// about returns what the page shows of the running bridge.
func (h *Handler) about() About {
	if h.cfg.About != nil {
		return h.cfg.About()
	}
	bi := buildinfo.Read()
	return About{Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion}
}

// listMappings answers GET /api/mappings: which bridge this is and the
// running mapping set (directory, when it was loaded, each provider's file
// and rules).
func (h *Handler) listMappings(w http.ResponseWriter, r *http.Request) {
	set := h.cfg.Mappings()
	if set == nil {
		writeProblem(w, r, "not-ready", http.StatusServiceUnavailable, "no mapping set is loaded yet", nil)
		return
	}
	a := h.about()
	v := setView{Bridge: a, Mappings: mappingsSet{Dir: set.Dir, SchemasDir: h.cfg.SchemasDir, Providers: []providerView{}}}
	if !a.LoadedAt.IsZero() {
		t := a.LoadedAt.UTC()
		v.Mappings.LoadedAt = &t
	}
	for _, p := range set.Providers() {
		m, _ := set.Mapping(p)
		pv := providerView{Provider: p, File: m.File, Accepts: []string{}, ContentTypes: m.ContentTypes, Rules: []ruleView{}}
		for _, k := range []string{transform.IngestWebhook, transform.IngestNATS, transform.IngestEvents} {
			if m.Accepts(k) {
				pv.Accepts = append(pv.Accepts, k)
			}
		}
		for _, rule := range m.Rules() {
			pv.Rules = append(pv.Rules, ruleView{Name: rule.Name, Line: rule.Line, Type: rule.Type, Drop: rule.Drop})
		}
		v.Mappings.Providers = append(v.Mappings.Providers, pv)
	}
	writeJSON(w, http.StatusOK, v)
}

// fileView is the answer of GET /api/mappings/{provider}.
type fileView struct {
	Provider     string        `json:"provider"`
	File         string        `json:"file"`
	Text         string        `json:"text"` // the file as it is on disk now
	ContentTypes []string      `json:"content_types"`
	Examples     []exampleView `json:"examples"`
	// Warnings are the running file's: those found at load, and the
	// idempotency-key collisions of its fixtures (fixture.KeyCollisions).
	Warnings []*transform.Warning `json:"warnings"`
}

// exampleView is a fixture of the running file: a payload to start from.
type exampleView struct {
	Rule        string            `json:"rule"`
	PayloadFile string            `json:"payload_file"`
	Headers     map[string]string `json:"headers,omitempty"`
	Payload     string            `json:"payload,omitempty"`
	Error       string            `json:"error,omitempty"` // why Payload is left out
}

// mappingFile answers GET /api/mappings/{provider} with the text of the
// provider's file of the running set and the payloads of its fixtures.
func (h *Handler) mappingFile(w http.ResponseWriter, r *http.Request) {
	set := h.cfg.Mappings()
	if set == nil {
		writeProblem(w, r, "not-ready", http.StatusServiceUnavailable, "no mapping set is loaded yet", nil)
		return
	}
	p := r.PathValue("provider")
	m, ok := set.Mapping(p)
	if !ok {
		writeProblem(w, r, "unknown-provider", http.StatusNotFound, fmt.Sprintf("no mapping file for provider %q (have %s)", p, strings.Join(set.Providers(), ", ")), nil)
		return
	}
	text, err := os.ReadFile(m.File)
	if err != nil {
		h.cfg.Logger.Warn("playground: mapping file unreadable", "file", m.File, "err", err)
		writeProblem(w, r, "unreadable", http.StatusInternalServerError, fmt.Sprintf("reading %s: %v", m.File, err), nil)
		return
	}
	v := fileView{Provider: p, File: m.File, Text: string(text), ContentTypes: m.ContentTypes, Examples: []exampleView{},
		Warnings: slices.Concat(applicable(m.Warnings(), h.cfg.MutualTLS), fixture.KeyCollisions(m))}
	transform.SortWarnings(v.Warnings)
	if v.Warnings == nil {
		v.Warnings = []*transform.Warning{}
	}
	for _, rule := range m.Rules() {
		for _, f := range rule.Tests {
			ex := exampleView{Rule: rule.Name, PayloadFile: f.Payload, Headers: f.Headers}
			ex.Payload, err = readExample(f.Payload)
			if err != nil {
				ex.Error = err.Error()
			}
			v.Examples = append(v.Examples, ex)
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// readExample reads a fixture's payload, up to maxExamplePayload bytes.
func readExample(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxExamplePayload+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxExamplePayload {
		return "", fmt.Errorf("larger than %d bytes", maxExamplePayload)
	}
	return string(b), nil
}

// catalog answers GET /api/catalog: every type the running set can emit,
// as `bridge catalog --json` prints it.
func (h *Handler) catalog(w http.ResponseWriter, r *http.Request) {
	set := h.cfg.Mappings()
	if set == nil {
		writeProblem(w, r, "not-ready", http.StatusServiceUnavailable, "no mapping set is loaded yet", nil)
		return
	}
	cat := set.Catalog()
	if cat == nil {
		cat = []transform.CatalogEntry{}
	}
	writeJSON(w, http.StatusOK, cat)
}
