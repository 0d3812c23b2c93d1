package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestPublishStoresAndDeduplicates(t *testing.T) {
	e := newEnv(t, nil)
	ctx := natstest.Context(t, 5*time.Second)
	data := []byte(`{"specversion":"1.0","id":"ce-1"}`)

	first, err := e.pub.Publish(ctx, event("event.stripe.payments.charge.succeeded", "key-1", "ce-1", data))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if first != (Ack{Stream: "EVENTS", Sequence: 1}) {
		t.Fatalf("Publish ack = %+v, want EVENTS seq 1, not duplicate", first)
	}
	// Another event in between, so a wrong "sequence of the copy" would show.
	if _, err := e.pub.Publish(ctx, event("event.stripe.payments.charge.failed", "key-2", "ce-2", data)); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	m := storedMsg(t, e.js, "EVENTS", 1)
	if m.Subject != "event.stripe.payments.charge.succeeded" || !bytes.Equal(m.Data, data) {
		t.Errorf("stored %s %q, want the event", m.Subject, m.Data)
	}
	for k, want := range map[string]string{HeaderMsgID: "key-1", HeaderCEID: "ce-1", HeaderContentType: ContentTypeCloudEvents} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("stored header %s = %q, want %q", k, got, want)
		}
	}

	// The same delivery again, with a fresh ce-id as the pipeline makes.
	dup, err := e.pub.Publish(ctx, event("event.stripe.payments.charge.succeeded", "key-1", "ce-3", data))
	if err != nil {
		t.Fatalf("Publish duplicate: %v", err)
	}
	if dup != (Ack{Stream: "EVENTS", Sequence: 1, Duplicate: true}) {
		t.Fatalf("duplicate ack = %+v, want EVENTS seq 1 (the original), duplicate", dup)
	}
	if n := streamMsgs(t, e.js, "EVENTS"); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}

	h, err := e.pub.StoredHeader(ctx, dup.Sequence)
	if err != nil {
		t.Fatalf("StoredHeader: %v", err)
	}
	if got := h.Get(HeaderCEID); got != "ce-1" {
		t.Errorf("StoredHeader ce-id = %q, want the original ce-1", got)
	}
	if got := h.Get(jetstream.SequenceHeader); got != "" {
		t.Errorf("StoredHeader has direct-get metadata %s: %q", jetstream.SequenceHeader, got)
	}

	_, err = e.pub.StoredHeader(ctx, 99)
	if !errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, ErrUnavailable) {
		t.Errorf("StoredHeader(99) = %v, want ErrMsgNotFound and not ErrUnavailable", err)
	}
}

func TestPublishDoesNotModifyMessage(t *testing.T) {
	e := newEnv(t, nil)
	m := event("event.a.b.c.d", "key-1", "ce-1", []byte("{}"))
	if _, err := e.pub.Publish(natstest.Context(t, 5*time.Second), m); err != nil {
		t.Fatal(err)
	}
	if len(m.Header) != 4 || m.Header.Get(HeaderMsgID) != "" {
		t.Errorf("Publish changed the caller's header: %v", m.Header)
	}
}

func TestPublishInvalidMessage(t *testing.T) {
	e := newEnv(t, nil)
	for _, m := range []Message{
		{MsgID: "k", Data: []byte("{}")},
		{Subject: "event.a", Data: []byte("{}")},
	} {
		_, err := e.pub.Publish(natstest.Context(t, time.Second), m)
		if !errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrUnavailable) {
			t.Errorf("Publish(%+v) = %v, want ErrInvalidMessage only", m, err)
		}
	}
}

func TestPublishNotStored(t *testing.T) {
	e := newEnv(t, nil)
	ctx := natstest.Context(t, 5*time.Second)
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		subject  string
		data     []byte
		rejected bool // refused at once rather than retried until the deadline
	}{
		{"subject of another stream", "other.x", []byte("{}"), true},
		{"larger than max payload", "event.big", make([]byte, 2<<20), true},
		{"subject of no stream", "nowhere.x", []byte("{}"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.pub.Publish(natstest.Context(t, 300*time.Millisecond), event(tc.subject, "k-"+tc.name, "ce", tc.data))
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Publish = %v, want ErrUnavailable", err)
			}
			if errors.Is(err, ErrRejected) != tc.rejected {
				t.Errorf("Publish = %v, want errors.Is(ErrRejected) = %v", err, tc.rejected)
			}
			if !strings.Contains(err.Error(), tc.subject) {
				t.Errorf("error %q does not name the subject", err)
			}
		})
	}
	for _, s := range []string{"EVENTS", "OTHER"} {
		if n := streamMsgs(t, e.js, s); n != 0 {
			t.Errorf("stream %s holds %d messages, want 0", s, n)
		}
	}
}

func TestPublishDuringOutage(t *testing.T) {
	srv := natstest.Start(t)
	var logs natstest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	nc, err := natsconn.Connect([]string{srv.URL()}, "publish-test", log, nats.ReconnectWait(natstest.ReconnectWait))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	if err := EnsureStreams(natstest.Context(t, 5*time.Second), js, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := New(js, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(natstest.Context(t, 5*time.Second), event("event.a.b.c.before", "before", "ce-1", []byte("{}"))); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if nc.IsConnected() {
			return errors.New("client still connected")
		}
		return nil
	})
	_, err = pub.Publish(natstest.Context(t, 300*time.Millisecond), event("event.a.b.c.during", "during", "ce-2", []byte("{}")))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Publish during outage = %v, want ErrUnavailable", err)
	}
	t.Logf("Publish during outage: %v", err)
	if _, err := pub.StoredHeader(natstest.Context(t, 100*time.Millisecond), 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("StoredHeader during outage = %v, want ErrUnavailable", err)
	}
	if _, err := pub.Store(natstest.Context(t, 100*time.Millisecond), &nats.Msg{Subject: "dlq.p.no_rule", Data: []byte("x")}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Store during outage = %v, want ErrUnavailable", err)
	}
	if err := EnsureStreams(natstest.Context(t, 100*time.Millisecond), js, cfg); !errors.Is(err, ErrUnavailable) {
		t.Errorf("EnsureStreams during outage = %v, want ErrUnavailable", err)
	}

	srv.Restart(t)
	// No waiting for the reconnect: Publish retries until it is back.
	ack, err := pub.Publish(natstest.Context(t, 5*time.Second), event("event.a.b.c.after", "after", "ce-3", []byte("{}")))
	if err != nil {
		t.Fatalf("Publish after restart: %v", err)
	}
	if ack != (Ack{Stream: "EVENTS", Sequence: 2}) {
		t.Errorf("ack after restart = %+v, want EVENTS seq 2", ack)
	}
	if n := streamMsgs(t, js, "EVENTS"); n != 2 {
		t.Errorf("stream holds %d messages, want 2 (before, after)", n)
	}
	if n := streamMsgs(t, js, "EVENTS_DLQ"); n != 0 {
		t.Errorf("dead-letter stream holds %d messages, want 0", n)
	}
	for seq, id := range map[uint64]string{1: "before", 2: "after"} {
		if got := storedMsg(t, js, "EVENTS", seq).Header.Get(HeaderMsgID); got != id {
			t.Errorf("message %d has msg id %q, want %q", seq, got, id)
		}
	}
	for _, want := range []string{"nats disconnected", "nats reconnected", "jetstream request failed, retrying"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestPublishFullStream(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBytes = 4096 })
	data := bytes.Repeat([]byte("x"), 300)
	var stored uint64
	var err error
	for i := range 10 {
		var ack Ack
		ack, err = e.pub.Publish(natstest.Context(t, 300*time.Millisecond), event("event.a.b.c.d", fmt.Sprint("k", i), "ce", data))
		if err != nil {
			break
		}
		stored = ack.Sequence
	}
	if err == nil || stored < 2 {
		t.Fatalf("stored %d messages of 300 bytes in a 4 KiB stream, then %v", stored, err)
	}
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRejected) {
		t.Fatalf("Publish to a full stream = %v, want ErrUnavailable, retried", err)
	}
	t.Logf("full stream after %d messages: %v", stored, err)
	if n := streamMsgs(t, e.js, "EVENTS"); n != stored {
		t.Errorf("stream holds %d messages, want the %d acknowledged", n, stored)
	}
	if got := storedMsg(t, e.js, "EVENTS", 1).Header.Get(HeaderMsgID); got != "k0" {
		t.Errorf("first message is %q, want k0 still stored", got)
	}
}

func TestPublishConcurrent(t *testing.T) {
	e := newEnv(t, nil)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			// Every id twice: half of the publishes are duplicates.
			_, err := e.pub.Publish(natstest.Context(t, 5*time.Second), event("event.a.b.c.d", fmt.Sprint("k", i/2), fmt.Sprint("ce", i), []byte("{}")))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := streamMsgs(t, e.js, "EVENTS"); got != n/2 {
		t.Errorf("stream holds %d messages, want %d", got, n/2)
	}
}

func TestNew(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	if _, err := New(nil, DefaultConfig(), nil); err == nil {
		t.Error("New(nil JetStream) succeeded")
	}
	bad := DefaultConfig()
	bad.Replicas = 9
	if _, err := New(js, bad, nil); err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Errorf("New with 9 replicas = %v, want a replicas error", err)
	}
}

// loseFirstAck makes pub's requests go to the real server but loses the
// acknowledgement of the first publish stored, as a disconnect right
// after the server stored the message would.
func loseFirstAck(pub *Publisher) {
	request := pub.request
	var lost atomic.Bool
	pub.request = func(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
		resp, err := request(ctx, m)
		if err == nil && lost.CompareAndSwap(false, true) {
			return nil, nats.ErrTimeout
		}
		return resp, err
	}
}

func TestPublishLostAck(t *testing.T) {
	tests := []struct {
		name          string
		storedBefore  bool // the delivery was stored before, with another ce-id
		wantDuplicate bool
	}{
		{"own write is not a duplicate", false, false},
		{"earlier delivery is a duplicate", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := natstest.Context(t, 5*time.Second)
			if tc.storedBefore {
				if _, err := e.pub.Publish(ctx, event("event.a.b.c.d", "key-1", "ce-1", []byte("{}"))); err != nil {
					t.Fatal(err)
				}
			}
			pub, err := New(e.js, e.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			loseFirstAck(pub)
			ack, err := pub.Publish(ctx, event("event.a.b.c.d", "key-1", "ce-2", []byte("{}")))
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if want := (Ack{Stream: "EVENTS", Sequence: 1, Duplicate: tc.wantDuplicate}); ack != want {
				t.Errorf("ack = %+v, want %+v", ack, want)
			}
			if n := streamMsgs(t, e.js, "EVENTS"); n != 1 {
				t.Errorf("stream holds %d messages, want 1", n)
			}
		})
	}
}
