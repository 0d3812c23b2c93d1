package asyncapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bridge-dev/bridge/internal/transform"
)

// TestHandler serves the document over real HTTP: JSON by default, YAML
// when asked, a new document once the set is replaced (a reload), and a
// problem for what it cannot answer.
func TestHandler(t *testing.T) {
	sch := officialSchema(t)
	var current atomic.Pointer[transform.Set]
	srv := httptest.NewServer(Handler(current.Load, Options{Version: "test"}))
	t.Cleanup(srv.Close)

	get := func(t *testing.T, method, query, accept string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/api/asyncapi"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}

	resp, body := get(t, http.MethodGet, "", "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" ||
		resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "no mapping set") {
		t.Fatalf("before a set is loaded: %s %s %s", resp.Status, resp.Header, body)
	}

	current.Store(load(t, shippedMappings, shippedSchemas))
	tests := []struct {
		name, method, query, accept string
		status                      int
		contentType                 string
	}{
		{"default json", http.MethodGet, "", "", 200, ContentTypeJSON},
		{"browser accept", http.MethodGet, "", "text/html,application/xhtml+xml,*/*;q=0.8", 200, ContentTypeJSON},
		{"accept yaml", http.MethodGet, "", "application/yaml", 200, ContentTypeYAML},
		{"format yaml", http.MethodGet, "?format=yaml", "application/json", 200, ContentTypeYAML},
		{"format json", http.MethodGet, "?format=json", "application/yaml", 200, ContentTypeJSON},
		{"head", http.MethodHead, "", "", 200, ContentTypeJSON},
		{"bad format", http.MethodGet, "?format=xml", "", 400, "application/problem+json"},
		{"post", http.MethodPost, "", "", 405, "application/problem+json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.method, tc.query, tc.accept)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("%s, %s; want %d, %s\n%s", resp.Status, resp.Header.Get("Content-Type"), tc.status, tc.contentType, body)
			}
			switch {
			case tc.method == http.MethodHead:
				if body != "" {
					t.Error("HEAD answered with a body")
				}
			case tc.status != 200:
				var p struct{ Detail string }
				if err := json.Unmarshal([]byte(body), &p); err != nil || p.Detail == "" {
					t.Errorf("problem without detail: %s", body)
				}
				if tc.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow = %q", resp.Header.Get("Allow"))
				}
			case tc.contentType == ContentTypeYAML:
				if err := sch.Validate(decodeYAML(t, []byte(body))); err != nil {
					t.Errorf("not valid AsyncAPI: %v", err)
				}
			default:
				if err := sch.Validate(decodeJSON(t, []byte(body))); err != nil {
					t.Errorf("not valid AsyncAPI: %v", err)
				}
			}
		})
	}

	// A reload: the handler describes the new set.
	mappings, schemas := writeSet(t)
	current.Store(load(t, mappings, schemas))
	resp, body = get(t, http.MethodGet, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after a reload: %s %s", resp.Status, body)
	}
	doc := decodeJSON(t, []byte(body))
	if _, ok := pointer(doc, "#/channels/event.acme.shop.order.paid"); !ok {
		t.Error("after the set changed, the document still describes the old one")
	}
	if _, ok := pointer(doc, "#/channels/event.stripe.payments.charge.succeeded"); ok {
		t.Error("after the set changed, the document still has the old set's channels")
	}

	// A set whose schema file went away since it loaded: a problem naming it.
	mappings, schemas = writeSet(t)
	current.Store(load(t, mappings, schemas))
	if err := os.Remove(filepath.Join(mappings, "pix.json")); err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, http.MethodGet, "", "")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "urn:bridge:problem:unreadable") || !strings.Contains(body, "pix.json") {
		t.Errorf("schema file gone: %s %s", resp.Status, body)
	}
}
