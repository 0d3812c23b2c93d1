package eventlog

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
)

// TestHandlerBoundsMemory: a listing holds at most MaxListBytes of events
// (then says truncated), and at most MaxConcurrentReads requests read at
// once; the others are answered 503 busy.
func TestHandlerBoundsMemory(t *testing.T) {
	js, r := setup(t)
	big := strings.Repeat("x", 11<<10)
	for range MaxListBytes/(11<<10) + 20 {
		id := uuid.Must(uuid.NewV7()).String()
		body, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": id, "type": "event.a.b.c.d", "source": "s",
			"subject": "c/1", "data": map[string]any{"pad": big}})
		msg := &nats.Msg{Subject: "event.a.b.c.d", Data: body, Header: nats.Header{"ce-id": {id}, "ce-subject": {"c/1"}, "ce-type": {"event.a.b.c.d"}}}
		if _, err := js.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHandler(func() *Reader { return r }, 10*time.Second)
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/events?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Events    []json.RawMessage `json:"events"`
		Truncated bool              `json:"truncated"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	size := 0
	for _, e := range page.Events {
		size += len(e)
	}
	if err != nil || resp.StatusCode != 200 || !page.Truncated || len(page.Events) == 0 || size > 2*MaxListBytes {
		t.Fatalf("listing: %d, %d events (%d bytes), truncated %v, %v", resp.StatusCode, len(page.Events), size, page.Truncated, err)
	}

	for range MaxConcurrentReads { // every slot taken
		h.reads <- struct{}{}
	}
	for _, path := range []string{"/api/events", "/api/events/" + uuid.Must(uuid.NewV7()).String()} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 503 || p["type"] != "urn:bridge:problem:busy" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s with every read slot taken: %d %v", path, resp.StatusCode, p)
		}
	}
}
