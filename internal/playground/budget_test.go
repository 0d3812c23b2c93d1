package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/attack"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/transform"
)

func TestDryRunOverBudgetIs422(t *testing.T) {
	srv, _ := server(t, Config{})
	for name, mapping := range map[string]string{"doubling lets": attack.DoublingLets(false), "nested count": attack.NestedCount(false)} {
		t.Run(name, func(t *testing.T) {
			a := postMap(t, srv, map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": mapping})
			if a.status != http.StatusUnprocessableEntity || a.body["type"] != "urn:bridge:problem:budget-exceeded" ||
				a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s, want 422 budget-exceeded", a.status, a.raw)
			}
			if a.body["rule"] != "evil" || a.body["field"] != "data.x" || !strings.Contains(a.body["detail"].(string), "budget") {
				t.Errorf("answer %s: want the rule, the field and the budget named", a.raw)
			}
		})
	}
}

func TestDryRunStopsWhenTheClientGoesAway(t *testing.T) {
	set, err := transform.Load("../../mappings", transform.Options{PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	// Limits that would let the nested count run for minutes: only the
	// client's going away stops it.
	h := New(Config{Mappings: func() *transform.Set { return set }, MaxConcurrent: 1,
		Limits: transform.Limits{Steps: 1 << 50, Bytes: 1 << 30, Time: time.Hour}})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body, _ := json.Marshal(map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": attack.NestedCount(false)})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/map", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// The dry run holds the only slot while it runs.
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if len(h.busy) != 1 {
			return fmt.Errorf("the dry run has not started")
		}
		return nil
	})
	cancel()
	<-done
	natstest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if len(h.busy) != 0 {
			return fmt.Errorf("the dry run still runs after its client left")
		}
		return nil
	})
}

func TestInlineMappingTooLarge(t *testing.T) {
	srv, _ := server(t, Config{})
	a := postMap(t, srv, map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": strings.Repeat("#", MaxMappingSize+1)})
	if a.status != http.StatusRequestEntityTooLarge || a.body["type"] != "urn:bridge:problem:too-large" {
		t.Fatalf("%d %s, want 413", a.status, a.raw)
	}
}

func TestInlineMappingReadsNoSchemaFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"properties": {"x": {"const": "SECRET-CONST-VALUE"}}, "required": ["x"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mappings, err := filepath.Abs("../../mappings")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mappings, secret)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := server(t, Config{})
	for _, line := range []string{
		"schema: " + rel,
		"schema: " + secret,
		"schema: ../examples/stripe/charge.succeeded.json", // inside the tree, but no schema the set loaded
		"dataschema: https://schemas.example.com/../../../../../../../../.." + secret,
		"dataschema: file://" + secret,
	} {
		mapping := strings.Replace(attack.Mapping(false, nil, `"other"`), "    data:", "    "+line+"\n    data:", 1)
		a := postMap(t, srv, map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": mapping})
		if a.status != http.StatusBadRequest || strings.Contains(string(a.raw), "SECRET") {
			t.Errorf("%s: %d %s, want 400 without the file's content", line, a.status, a.raw)
		}
	}
	// A schema the running set has is used.
	mapping := strings.Replace(attack.Mapping(false, nil, `"other"`), "    data:",
		"    dataschema: https://schemas.example.com/stripe/payments/charge/succeeded/v1.json\n    data:", 1)
	a := postMap(t, srv, map[string]any{"provider": "evil", "payload": map[string]any{}, "mapping": mapping})
	var got Answer
	_ = json.Unmarshal(a.raw, &got)
	if a.status != http.StatusOK || got.DeadLetter == nil || got.DeadLetter.Reason != string(deadletter.ReasonSchema) {
		t.Errorf("%d %s, want the data validated against the running set's schema", a.status, a.raw)
	}
}

// A pasted dataschema whose schema the running set did not load is shown
// as not validated, not as a pass: the operator would otherwise deploy a
// rule whose events the daemon, once reloaded with the file, refuses.
func TestInlineDataschemaWithoutARunningSchemaIsNotAPass(t *testing.T) {
	srv, _ := server(t, Config{})
	mapping := strings.Replace(mappingText(t, "pix"), "dataschema: https://schemas.example.com/", "dataschema: https://schemas.example.com/not-loaded/", 1)
	if mapping == mappingText(t, "pix") {
		t.Fatal("the pix mapping names no dataschema to change")
	}
	r := postMap(t, srv, map[string]any{"provider": "pix", "payload": json.RawMessage(example(t, "pix/pix.single.json")), "mapping": mapping})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	checks, _ := r.body["checks"].([]any)
	for _, c := range checks {
		if c := c.(map[string]any); c["rule"] == "schema" && c["ok"] != true && strings.Contains(fmt.Sprint(c["error"]), "not validated") {
			return
		}
	}
	t.Fatalf("no failed schema check among %s", r.raw)
}
