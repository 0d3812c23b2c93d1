package asyncapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bridge-dev/bridge/internal/problem"
	"github.com/bridge-dev/bridge/internal/transform"
)

// Content types of the document.
const (
	ContentTypeJSON = "application/json"
	ContentTypeYAML = "application/yaml"
)

// Handler serves the document of the mapping set current returns (the
// running set, which a reload replaces) on GET and HEAD: JSON, or YAML
// with ?format=yaml or an Accept header that names application/yaml (or
// text/yaml) and not JSON. The document is built once per set.
func Handler(current func() *transform.Set, opts Options) http.Handler {
	return &handler{current: current, opts: opts}
}

type handler struct {
	current func() *transform.Set
	opts    Options

	mu  sync.Mutex
	set *transform.Set // the set doc describes
	doc *Document
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem.Write(w, r, "method-not-allowed", http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": only GET and HEAD", nil, 0)
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "json", "yaml":
	case "":
		format = "json"
		if accept := r.Header.Get("Accept"); strings.Contains(accept, "yaml") && !strings.Contains(accept, "json") {
			format = "yaml"
		}
	default:
		problem.Write(w, r, "invalid-query", http.StatusBadRequest, "format "+strconv.Quote(format)+": want json or yaml", nil, 0)
		return
	}
	set := h.current()
	if set == nil {
		problem.Write(w, r, "not-ready", http.StatusServiceUnavailable, "no mapping set is loaded yet", nil, time.Second)
		return
	}
	doc, err := h.document(set)
	if err != nil {
		problem.Write(w, r, "unreadable", http.StatusInternalServerError, err.Error(), nil, 0)
		return
	}
	var body []byte
	contentType := ContentTypeJSON
	if format == "yaml" {
		body, err = doc.YAML()
		contentType = ContentTypeYAML
	} else {
		body, err = doc.JSON()
	}
	if err != nil {
		problem.Write(w, r, "internal", http.StatusInternalServerError, err.Error(), nil, 0)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store") // a reload changes it
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// document returns set's document, built once per set.
func (h *handler) document(set *transform.Set) (*Document, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set == h.set {
		return h.doc, nil
	}
	doc, err := Build(set, h.opts)
	if err != nil {
		return nil, err
	}
	h.set, h.doc = set, doc
	return doc, nil
}
