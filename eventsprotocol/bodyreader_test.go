package eventsprotocol

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// A BodyReader reads every body: its result is what the server parses,
// its release runs once per request, a *BusyError is a 503 with
// Retry-After and a *http.MaxBytesError the usual badProtocol.
func TestServerBodyReader(t *testing.T) {
	small := `{"name":"user:name:set","version":1,"id":"i","flowId":"f","payload":{}}`
	var released int
	var busy, tooLarge bool
	read := func(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, func(), error) {
		release := func() { released++ }
		switch {
		case busy:
			return nil, release, &BusyError{RetryAfter: 3 * time.Second, Err: errors.New("bodies at the limit")}
		case tooLarge:
			return nil, release, &http.MaxBytesError{Limit: limit}
		}
		b, err := io.ReadAll(r.Body)
		return b, release, err
	}
	if _, err := NewServer(WithBodyReader(nil)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("WithBodyReader(nil): %v", err)
	}
	ts := startServer(t, testServer(t, WithBodyReader(read), WithMaxBodyBytes(4096)))

	status, data := post(t, ts.URL+"/events/", small, nil)
	if answer, err := Parse(data); status != http.StatusOK || err != nil || answer.Name != "user:name:set:response" {
		t.Fatalf("read by the reader: %d %s", status, data)
	}

	busy = true
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/events/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("busy: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	busy, tooLarge = false, true
	status, data = post(t, ts.URL+"/events/", small, nil)
	if answer, err := Parse(data); status != http.StatusOK || err != nil || answer.Name != "badProtocol" ||
		string(answer.Payload) != `{"code":"INVALID_COMMUNICATION_PROTOCOL","parameters":{"message":"request body exceeds 4096 bytes"}}` {
		t.Fatalf("too large: %d %s", status, data)
	}
	if released != 3 {
		t.Fatalf("released %d times for 3 requests", released)
	}
}
