package daemon

import (
	"net/http"
	"strings"
	"testing"
)

// Numbers with huge exponents, where the mapping reads them and where it
// does not, and an amount string with one, are answered as any body is:
// the amount dead-lettered naming its field, the rest stored. (Attack of
// 2026-12-06: each such number cost big.Rat 10^exponent, ~20 ms of CPU
// for nine bytes, before any signature on an unsigned endpoint.)
func TestHugeExponentsThroughTheDaemon(t *testing.T) {
	b := startBridge(t, nil, nil)
	url := b.base + "/webhooks/pix"
	ct := map[string]string{"Content-Type": "application/json"}
	noise := `"noise":[` + strings.Repeat("1e-999999,", 999) + `1e999999]`
	item := func(id, valor string) string {
		return `{"endToEndId":"` + id + `","txid":"t1","valor":"` + valor + `","chave":"k-1234","horario":"2025-09-10T11:12:47.503Z"}`
	}

	r := post(t, url, []byte(`{`+noise+`,"pix":[`+item("E87654321202509101112Nn3Pp5Rr7T1", "1e99999999")+`]}`), ct)
	if r.status != http.StatusAccepted || r.body["dead_lettered"] != true || r.body["reason"] != "eval_error" {
		t.Fatalf("an amount of 1e99999999: status %d: %s", r.status, r.raw)
	}
	if !strings.Contains(string(r.raw), "data.amount") || !strings.Contains(string(r.raw), "out of range") {
		t.Errorf("the answer does not name data.amount and the range: %s", r.raw)
	}

	r = post(t, url, []byte(`{`+noise+`,"pix":[`+item("E87654321202509101112Nn3Pp5Rr7T2", "1e-999999")+`]}`), ct)
	if r.status != http.StatusAccepted || r.body["reason"] != "eval_error" || !strings.Contains(string(r.raw), "more decimals") {
		t.Fatalf("an amount of 1e-999999: status %d: %s", r.status, r.raw)
	}

	r = post(t, url, []byte(`{`+noise+`,"pix":[`+item("E87654321202509101112Nn3Pp5Rr7T3", "12.5e1")+`]}`), ct)
	if r.status != http.StatusAccepted || r.body["dead_lettered"] != nil {
		t.Fatalf("an amount of 12.5e1 beside huge exponents: status %d: %s", r.status, r.raw)
	}
	m := lastMsg(t, b.js, "EVENTS", "event.pix.pix.pix.received")
	if !strings.Contains(string(m.Data), `"amount":12500`) {
		t.Errorf("stored event lacks the amount 12500:\n%s", m.Data)
	}
}
