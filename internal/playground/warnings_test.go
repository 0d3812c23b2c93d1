package playground

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/transform"
)

// warningsOf reads the warnings of an answer (a dry run's, a problem's or
// a file view's).
func warningsOf(t *testing.T, raw []byte) []transform.Warning {
	t.Helper()
	var v struct {
		Warnings []transform.Warning `json:"warnings"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v.Warnings
}

func slugsAt(ws []transform.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Slug + "@" + itoa(w.Line) + ":" + itoa(w.Column)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestMapWarnings: a dry run of a mapping that loads answers its warnings
// (slug, position, message) beside the events; one that does not load
// answers them beside its errors; a bridge whose listener requires client
// certificates leaves out none-unverified.
func TestMapWarnings(t *testing.T) {
	pix := mappingText(t, "pix")
	withSecret := strings.Replace(pix, "    scheme: none\n", "    scheme: none\n    secret: '${PIX_SECRET}'\n", 1)
	scheme := lineOf(t, withSecret, "scheme: none")
	payload := string(example(t, "pix/pix.single.json"))
	unverified := "none-unverified@" + itoa(scheme) + ":13"
	unused := "none-with-secret@" + itoa(scheme+1) + ":5"

	srv, _ := server(t, Config{})
	a := postMap(t, srv, map[string]any{"provider": "pix", "payload": payload, "mapping": withSecret})
	ws := warningsOf(t, a.raw)
	if a.status != http.StatusOK || a.body["events"] == nil || strings.Join(slugsAt(ws), " ") != unverified+" "+unused {
		t.Fatalf("%d, warnings %v, want [%s %s]: %s", a.status, slugsAt(ws), unverified, unused, a.raw)
	}
	if w := ws[1]; w.File != filepath.Join("../../mappings", "pix.yaml") || !strings.HasPrefix(w.Msg, "webhook.signature.secret is not used: scheme none verifies nothing") {
		t.Errorf("warning %+v", w)
	}
	if strings.Contains(string(a.raw), "placeholder") {
		t.Errorf("the answer shows a secret's placeholder: %s", a.raw)
	}

	broken := strings.Replace(withSecret, "\nrules:\n", "\nredact: x\nrules:\n", 1)
	a = postMap(t, srv, map[string]any{"provider": "pix", "payload": payload, "mapping": broken})
	if ws := warningsOf(t, a.raw); a.status != http.StatusBadRequest || a.body["errors"] == nil || strings.Join(slugsAt(ws), " ") != unverified+" "+unused {
		t.Errorf("a mapping that does not load: %d, warnings %v: %s", a.status, slugsAt(ws), a.raw)
	}

	mtls, _ := server(t, Config{MutualTLS: true})
	a = postMap(t, mtls, map[string]any{"provider": "pix", "payload": payload, "mapping": withSecret})
	if ws := warningsOf(t, a.raw); a.status != http.StatusOK || strings.Join(slugsAt(ws), " ") != unused {
		t.Errorf("behind mutual TLS: %d, warnings %v, want [%s]", a.status, slugsAt(ws), unused)
	}
	a = postMap(t, srv, map[string]any{"provider": "stripe", "payload": string(example(t, "stripe/charge.succeeded.json"))})
	if _, ok := a.body["warnings"]; a.status != http.StatusOK || ok {
		t.Errorf("a mapping without warnings: %d %s", a.status, a.raw)
	}

	// No payload yet: the mapping is compiled all the same, its problems
	// first, else its warnings with the payload's problem.
	a = postMap(t, srv, map[string]any{"provider": "pix", "mapping": withSecret})
	if ws := warningsOf(t, a.raw); a.status != http.StatusBadRequest || a.body["type"] != "urn:bridge:problem:invalid-payload" ||
		strings.Join(slugsAt(ws), " ") != unverified+" "+unused {
		t.Errorf("no payload: %d, warnings %v: %s", a.status, slugsAt(ws), a.raw)
	}
	a = postMap(t, srv, map[string]any{"provider": "pix", "mapping": broken})
	if a.status != http.StatusBadRequest || a.body["type"] != "urn:bridge:problem:invalid-mapping" {
		t.Errorf("no payload, a mapping that does not load: %d %s", a.status, a.raw)
	}

	// In a worker process: the same warnings, none-unverified left out
	// behind mutual TLS.
	worker, _ := server(t, Config{Worker: testWorker(t), MutualTLS: true})
	a = postMap(t, worker, map[string]any{"provider": "pix", "payload": payload, "mapping": withSecret})
	if ws := warningsOf(t, a.raw); a.status != http.StatusOK || strings.Join(slugsAt(ws), " ") != unused {
		t.Errorf("in a worker behind mutual TLS: %d, warnings %v, want [%s]: %s", a.status, slugsAt(ws), unused, a.raw)
	}
}

// TestMappingFileWarnings: GET /api/mappings/{provider} answers the running
// file's warnings, its fixtures' idempotency-key collisions included.
func TestMappingFileWarnings(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"created.json": `{"id": "n1", "type": "payment.created"}`,
		"updated.json": `{"id": "n1", "type": "payment.updated"}`,
		"pay.yaml": "provider: pay\nmodule: m\nwebhook: {signature: {scheme: none}}\nidempotency_key: payload.id\nrules:\n" +
			"  - {name: created, when: 'payload.type == \"payment.created\"', entity_type: payment, event_name: created, entity_id: payload.id,\n" +
			"     source: '\"https://pay.example\"', tests: [{payload: created.json, expect: created.event.json}]}\n" +
			"  - {name: updated, when: 'payload.type == \"payment.updated\"', entity_type: payment, event_name: updated, entity_id: payload.id,\n" +
			"     source: '\"https://pay.example\"', tests: [{payload: updated.json, expect: updated.event.json}]}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := transform.Load(dir, transform.Options{PlaceholderSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := server(t, Config{Mappings: func() *transform.Set { return set }})
	a := call(t, http.MethodGet, srv.URL+"/api/mappings/pay", "", nil)
	ws := warningsOf(t, a.raw)
	if got := strings.Join(slugsAt(ws), " "); a.status != http.StatusOK || got != "none-unverified@3:31 idempotency-key-collision@9:0" {
		t.Fatalf("%d, warnings %s: %s", a.status, got, a.raw)
	}
	if !strings.Contains(ws[1].Msg, `fixture `+filepath.Join(dir, "updated.json")+` (rule "updated")`) {
		t.Errorf("collision: %s", ws[1].Msg)
	}
	mtls, _ := server(t, Config{Mappings: func() *transform.Set { return set }, MutualTLS: true})
	a = call(t, http.MethodGet, mtls.URL+"/api/mappings/pay", "", nil)
	if got := strings.Join(slugsAt(warningsOf(t, a.raw)), " "); got != "idempotency-key-collision@9:0" {
		t.Errorf("behind mutual TLS: %s", got)
	}
}
