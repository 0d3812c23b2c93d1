package deadletter

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
	"github.com/nats-io/nats.go/jetstream"
)

// TestWriterStore stores a dead letter as the pipeline and the ingestors do and
// reads the stored message as it is: subject, body byte for byte, headers
// cleaned and cut, secrets dropped, its identity.
func TestWriterStore(t *testing.T) {
	e := newEnv(t)
	ctx := natstest.Context(t, 5*time.Second)
	body := []byte("{\"id\": \"evt_1\",\r\n \"x\": \"\xff\xfe raw\"}\n") // not even UTF-8: kept as is
	at := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.FixedZone("CET", 3600))
	d := Letter{
		Provider:   "stripe",
		Reason:     ReasonNoRule,
		Error:      "no rule matched\r\nInjected: yes " + strings.Repeat("e", 2000),
		File:       "mappings/stripe.yaml",
		Rule:       "charge.succeeded",
		Ingest:     "webhook",
		ReceivedAt: at,
		Header: http.Header{
			"Content-Type":        {"application/json"},
			"Stripe-Signature":    {"t=1,v1=abc"},
			"X-Hub-Signature-256": {"sha256=abc"},
			"X-Forwarded-For":     {"10.0.0.1", "10.0.0.2"},
			"Authorization":       {"Bearer secret"},
			"Proxy-Authorization": {"Basic x"},
			"Cookie":              {"session=1"},
			"X-Api-Key":           {"k"},
			"X-Gitlab-Token":      {"t"},
			"X-Webhook-Secret":    {"s"},
			"x-lower-case":        {"kept"},
		},
		Body: body,
	}
	ack, err := e.dead.Store(ctx, "delivery-1", d)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if ack != (publish.Ack{Stream: "EVENTS_DLQ", Sequence: 1}) {
		t.Fatalf("ack = %+v, want EVENTS_DLQ seq 1", ack)
	}
	m := natstest.StreamMessages(t, e.js, "EVENTS_DLQ")[0]
	if m.Subject != "dlq.stripe.no_rule" {
		t.Errorf("subject = %q, want dlq.stripe.no_rule", m.Subject)
	}
	if !bytes.Equal(m.Data, body) {
		t.Errorf("body = %q, want %q byte for byte", m.Data, body)
	}
	for k, want := range map[string]string{
		HeaderReason:                             "no_rule",
		HeaderMappingFile:                        "mappings/stripe.yaml",
		HeaderRule:                               "charge.succeeded",
		HeaderProvider:                           "stripe",
		HeaderIngest:                             "webhook",
		HeaderReceivedAt:                         "2025-03-04T04:06:07.891011121Z",
		publish.HeaderMsgID:                      ID("delivery-1", ReasonNoRule, body),
		HeaderOrigPrefix + "Content-Type":        "application/json",
		HeaderOrigPrefix + "Stripe-Signature":    "",
		HeaderOrigPrefix + "X-Hub-Signature-256": "",
		HeaderOrigPrefix + "X-Lower-Case":        "kept",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if got := m.Header.Values(HeaderOrigPrefix + "X-Forwarded-For"); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("X-Forwarded-For values = %q, want both", got)
	}
	errText := m.Header.Get(HeaderError)
	if !strings.HasPrefix(errText, "no rule matched  Injected: yes eee") || len(errText) > MaxErrorLen {
		t.Errorf("error header = %q (%d bytes), want CR/LF removed and at most %d bytes", errText, len(errText), MaxErrorLen)
	}
	if got := m.Header.Get("Injected"); got != "" {
		t.Errorf("header injection through the error text: Injected = %q", got)
	}
	for k := range m.Header {
		if name, ok := strings.CutPrefix(k, HeaderOrigPrefix); ok && SensitiveHeader(name) {
			t.Errorf("secret header stored: %s = %q", k, m.Header.Values(k))
		}
	}
	stored := 0
	for k := range m.Header {
		switch k {
		case jetstream.StreamHeader, jetstream.SequenceHeader, jetstream.SubjectHeader, jetstream.TimeStampHeaer:
			// added by the direct get
		default:
			stored++
		}
	}
	if stored != 12 { // 6 fields + received at + msg id + expected stream + 3 kept originals
		t.Errorf("stored %d headers, want 12: %v", stored, m.Header)
	}

	// The same delivery again is a duplicate, not a second dead letter.
	dup, err := e.dead.Store(ctx, "delivery-1", d)
	if err != nil || dup != (publish.Ack{Stream: "EVENTS_DLQ", Sequence: 1, Duplicate: true}) {
		t.Errorf("second Write = %+v, %v; want a duplicate of seq 1", dup, err)
	}
}

func TestWriterSubject(t *testing.T) {
	tests := []struct {
		name        string
		dlqSubjects []string
		provider    string
		reason      Reason
		want        string
	}{
		{"plain", nil, "github", "schema", "dlq.github.schema"},
		{"unsafe tokens", nil, "a.b *", "", "dlq.a_b__.unknown"},
		{"custom prefix", []string{"bridge.dead.>"}, "github", "not_json", "bridge.dead.github.not_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, func(c *publish.Config) {
				if tc.dlqSubjects != nil {
					c.DLQSubjects = tc.dlqSubjects
				}
			})
			// No delivery key: each call stores a new dead letter.
			for range 2 {
				if _, err := e.dead.Store(natstest.Context(t, 5*time.Second), "", Letter{Provider: tc.provider, Reason: tc.reason, Body: []byte("x")}); err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
			m := natstest.StreamMessages(t, e.js, e.cfg.DLQStream)[1]
			if m.Subject != tc.want {
				t.Errorf("subject = %q, want %q", m.Subject, tc.want)
			}
			if m.Header.Get(HeaderReceivedAt) == "" {
				t.Errorf("no %s header for a zero ReceivedAt", HeaderReceivedAt)
			}
		})
	}
}

// TestDeliveryKey reads the key back from the identities of ID and the older forms.
func TestDeliveryKey(t *testing.T) {
	tests := []struct {
		msgID, reason, want string
	}{
		{"6f1c...:no_rule", "no_rule", "6f1c..."},
		{"6f1c...:schema:12", "schema", "6f1c..."},
		{ID("6f1c...", "schema", []byte("{}")), "schema", "6f1c..."},
		{ID("nats:ingest.pix", "not_json", []byte("x")), "not_json", "nats:ingest.pix"},
		{"nats:ingest.pix:not_json:7", "not_json", "nats:ingest.pix"},
		{"nats:ingest.not_json_things:eval_error:7", "eval_error", "nats:ingest.not_json_things"},
		{"a:no_rules", "no_rule", "a:no_rules"},
		{"BBBnuid", "no_rule", "BBBnuid"},
		{"", "no_rule", ""},
	}
	for _, tc := range tests {
		if got := (Letter{MsgID: tc.msgID, Reason: Reason(tc.reason)}).DeliveryKey(); got != tc.want {
			t.Errorf("DeliveryKey of %q, %q = %q, want %q", tc.msgID, tc.reason, got, tc.want)
		}
	}
}

func TestNewWriterReportsEveryProblem(t *testing.T) {
	cfg := publish.DefaultConfig()
	cfg.DLQStream = ""
	_, err := NewWriter(nil, cfg)
	if err == nil || !strings.Contains(err.Error(), "store is required") || !strings.Contains(err.Error(), "stream name is empty") {
		t.Errorf("NewWriter(nil, no stream) = %v, want both problems", err)
	}
}
