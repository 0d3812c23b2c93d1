package ingest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bridge-dev/bridge/internal/pipeline"
)

// FuzzVerdictJSON holds writeVerdict to what json.Encoder writes for every
// answer body, with any strings in it.
func FuzzVerdictJSON(f *testing.F) {
	f.Add(0, "b7d7c5e2-1f57-4d5a-9d38-0d4b7b6d2f11", "event.stripe.payments.charge.succeeded", "5f42276a-9cd8-561d-8609-1e936de27e6b", uint8(0), "", "")
	f.Add(202, "", "", "k", uint8(1), "no_rule", "rule")
	f.Add(200, "a\"b\\c", "<script>&</script>", "\x00\x1f\x7f", uint8(2), "\xff\xfe", "\u2028\u2029")
	f.Add(-1, "é", "日本", "\ufffd", uint8(3), "tab\there", "new\nline")
	f.Add(503, "", "", "", uint8(255), "", "")
	f.Fuzz(func(t *testing.T, status int, id, typ, key string, flags uint8, reason, rule string) {
		b := &VerdictBody{Status: status, ID: id, Type: typ, IdempotencyKey: key,
			Duplicate: flags&1 != 0, DeadLettered: flags&2 != 0, Dropped: flags&4 != 0,
			Reason: reason, Rule: rule, Field: typ + id, Error: reason + rule}
		switch {
		case flags&8 != 0:
			events := []pipeline.EventRef{{ID: id, Type: typ, IdempotencyKey: key, Duplicate: flags&16 != 0}, {ID: reason, Type: rule}}
			b.Events = &events
		case flags&32 != 0:
			events := []pipeline.EventRef{}
			b.Events = &events
		case flags&64 != 0:
			var events []pipeline.EventRef
			b.Events = &events
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(b); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		writeVerdict(rec, 202, b)
		if got := rec.Body.String(); got != want.String() {
			t.Errorf("writeVerdict wrote\n%s\nencoding/json writes\n%s", got, want.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" || rec.Code != 202 {
			t.Errorf("status %d, content type %q", rec.Code, ct)
		}
	})
}

func TestAnswerBodiesAsEncodingJSON(t *testing.T) {
	for _, v := range []pipeline.Verdict{
		{Outcome: pipeline.Published, Events: []pipeline.EventRef{{ID: "e1", Type: "t", IdempotencyKey: "k"}}},
		{Outcome: pipeline.Published, Many: true},
		{Outcome: pipeline.Duplicate, Events: []pipeline.EventRef{{ID: "e1", Type: "t", IdempotencyKey: "k", Duplicate: true}, {ID: "e2"}}},
		{Outcome: pipeline.DeadLettered, Reason: "schema", Rule: "r", Field: "data.amount", Err: errString("must be > 0 <&>"), IdempotencyKey: "k"},
		{Outcome: pipeline.Dropped, Rule: "ping"},
	} {
		status, b := Answer(v)
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(b); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		writeVerdict(rec, status, b)
		if rec.Body.String() != want.String() || rec.Code != status {
			t.Errorf("%v: %d %s, want %d %s", v.Outcome, rec.Code, rec.Body, status, want.String())
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// BenchmarkWriteVerdict measures answering a delivery that stored one
// event (the common 202).
func BenchmarkWriteVerdict(b *testing.B) {
	_, body := Answer(pipeline.Verdict{Outcome: pipeline.Published, Events: []pipeline.EventRef{{
		ID: "0190b7a2-7c1e-7000-8000-000000000000", Type: "event.stripe.payments.charge.succeeded",
		IdempotencyKey: "5f42276a-9cd8-561d-8609-1e936de27e6b"}}})
	w := discardWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		writeVerdict(w, 202, body)
	}
}

// discardWriter is an http.ResponseWriter that keeps nothing written.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
