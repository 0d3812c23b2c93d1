package daemon

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bridge-dev/bridge/internal/config"
)

const ledgerMapping = `provider: ledger
module: accounts
webhook:
  signature: {scheme: none}
idempotency_key: payload.id
rules:
  - name: posted
    when: payload.kind == "posted"
    entity_type: entry
    event_name: posted
    entity_id: payload.id
    source: '"https://ledger.example.com/" + string(payload.id)'
    data:
      amount: payload.amount
  - name: computed
    when: payload.kind == "computed"
    entity_type: entry
    event_name: computed
    entity_id: payload.id
    source: '"https://ledger.example.com/" + string(payload.id)'
    data:
      cents: payload.amount * 100
`

// A 20-digit integer is stored exactly as sent, or its delivery is
// dead-lettered naming the field: never rounded (12345678901234567891 once
// became 12345678901234567000). Two ids that one float64 would merge are
// two deliveries.
func TestBigIntegersReachTheStreamExactly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ledger.yaml"), []byte(ledgerMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, nil, func(c *config.Config) { c.Mappings = dir })
	url := b.base + "/webhooks/ledger"
	ct := map[string]string{"Content-Type": "application/json"}

	for _, id := range []string{"12345678901234567891", "12345678901234567892"} {
		r := post(t, url, []byte(`{"kind":"posted","id":`+id+`,"amount":98765432109876543210}`), ct)
		if r.status != http.StatusAccepted || r.body["duplicate"] != nil {
			t.Fatalf("id %s: status %d: %s", id, r.status, r.raw)
		}
		m := lastMsg(t, b.js, "EVENTS", "event.ledger.accounts.entry.posted")
		for _, want := range []string{`"amount":98765432109876543210`, `"external_entity_id":"` + id + `"`} {
			if !strings.Contains(string(m.Data), want) {
				t.Errorf("stored event lacks %s:\n%s", want, m.Data)
			}
		}
	}

	r := post(t, url, []byte(`{"kind":"computed","id":1,"amount":98765432109876543210}`), ct)
	if r.status != http.StatusAccepted || r.body["dead_lettered"] != true || r.body["reason"] != "eval_error" {
		t.Fatalf("arithmetic on a 20-digit amount: status %d: %s", r.status, r.raw)
	}
	m := lastMsg(t, b.js, "EVENTS_DLQ", "dlq.ledger.eval_error")
	if !strings.Contains(string(m.Data), `98765432109876543210`) {
		t.Errorf("dead letter is not the body as sent:\n%s", m.Data)
	}
	var headers []string
	for k, v := range m.Header {
		headers = append(headers, k+"="+strings.Join(v, ","))
	}
	if !strings.Contains(strings.Join(headers, "\n"), "data.cents") {
		t.Errorf("dead letter does not name the field data.cents:\n%s", strings.Join(headers, "\n"))
	}
}
