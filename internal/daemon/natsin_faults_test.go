package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/config"
	"github.com/bridge-dev/bridge/internal/deadletter"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// fillStream stores filler messages on subject until stream refuses one
// (its limits reached, discard policy new): from then on it takes nothing.
// The limit is set first (setStreamLimit).
func fillStream(t *testing.T, js jetstream.JetStream, stream, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 1000 {
		_, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: bytes.Repeat([]byte("x"), 512),
			Header: nats.Header{jetstream.MsgIDHeader: {fmt.Sprintf("filler-%d", i)}}}, jetstream.WithExpectStream(stream))
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			return // full
		}
		if err != nil {
			t.Fatalf("fill %s: %v", stream, err)
		}
	}
	t.Fatalf("%s never filled up", stream)
}

// setStreamLimit sets stream's MaxMsgs (-1: none).
func setStreamLimit(t *testing.T, js jetstream.JetStream, stream string, maxMsgs int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxMsgs = maxMsgs
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("update %s: %v", stream, err)
	}
}

// waitIngestEmpty waits until every INGEST message is acknowledged.
func waitIngestEmpty(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	checkFor(t, 15*time.Second, func() error {
		if n := streamMsgs(t, js, "INGEST"); n != 0 {
			return fmt.Errorf("INGEST still holds %d messages", n)
		}
		return nil
	})
}

// dlqMsg waits for the dead letter on subject.
func dlqMsg(t *testing.T, js jetstream.JetStream, subject string) *jetstream.RawStreamMsg {
	t.Helper()
	var m *jetstream.RawStreamMsg
	checkFor(t, 15*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s, err := js.Stream(ctx, "EVENTS_DLQ")
		if err != nil {
			return err
		}
		m, err = s.GetLastMsgForSubject(ctx, subject)
		return err
	})
	return m
}

// TestNATSIngestDeadLettersAfterMaxDeliveries: a payload JetStream cannot
// store (the events stream is full) is Nak'ed and tried again; after
// IngestMaxDeliver attempts it is dead-lettered as max_deliveries, body
// byte for byte, and acknowledged, so nothing is left behind in INGEST and
// nothing is stored as an event.
func TestNATSIngestDeadLettersAfterMaxDeliveries(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) {
		c.RequestTimeout = 300 * time.Millisecond
		c.IngestMaxDeliver = 2
	})
	setStreamLimit(t, b.js, "EVENTS", 1)
	fillStream(t, b.js, "EVENTS", "event.filler.full")
	full := streamMsgs(t, b.js, "EVENTS")
	body := pixDelivery(7000)
	jsPublish(t, b.js, "ingest.pix", body, nil)

	m := dlqMsg(t, b.js, "dlq.pix.max_deliveries")
	if !bytes.Equal(m.Data, body) || m.Header.Get(deadletter.HeaderIngest) != "nats" ||
		!strings.Contains(m.Header.Get(deadletter.HeaderError), "not stored after 2 deliveries") {
		t.Errorf("dead letter: headers %v, body %s", m.Header, m.Data)
	}
	waitIngestEmpty(t, b.js)
	if n := streamMsgs(t, b.js, "EVENTS"); n != full {
		t.Errorf("EVENTS holds %d messages, want the %d fillers", n, full)
	}
}

// TestNATSIngestNaksWhenTheDeadLetterIsNotStored: a payload that must be
// dead-lettered (not JSON) while the dead-letter stream refuses it is
// Nak'ed, not acknowledged: it stays in INGEST and, once the dead-letter
// stream takes it again, comes back and is dead-lettered.
func TestNATSIngestNaksWhenTheDeadLetterIsNotStored(t *testing.T) {
	srv := natstest.Start(t)
	logs := &logBuffer{}
	b := launchBridge(t, setup{srv: srv, logs: logs, edit: func(c *config.Config) {
		c.RequestTimeout = 300 * time.Millisecond
	}})
	setStreamLimit(t, b.js, "EVENTS_DLQ", 1)
	fillStream(t, b.js, "EVENTS_DLQ", "dlq.filler.full")
	body := []byte(`{"pix": [`)
	jsPublish(t, b.js, "ingest.pix", body, nil)

	checkFor(t, 10*time.Second, func() error {
		if len(logs.records(t, "nats ingest: dead letter not stored; will retry")) == 0 {
			return errors.New("the bridge has not tried to dead-letter it yet")
		}
		return nil
	})
	if n := streamMsgs(t, b.js, "INGEST"); n != 1 {
		t.Fatalf("INGEST holds %d messages after the dead letter failed, want 1 (Nak'ed, kept)", n)
	}

	setStreamLimit(t, b.js, "EVENTS_DLQ", -1)
	m := dlqMsg(t, b.js, "dlq.pix.not_json")
	if !bytes.Equal(m.Data, body) {
		t.Errorf("dead letter body %q, want %q", m.Data, body)
	}
	waitIngestEmpty(t, b.js)
}

// TestNATSRequestReplyUnavailable: request/reply answers 503 when the
// events cannot be stored (store-unavailable), and at once when every
// request slot (IngestWorkers) is taken (too-many-requests): it never
// queues requests without bound. Here the events stream is full; the
// first request holds the only slot while its publish is retried until its
// deadline, and the second, sent right behind it, finds no slot.
func TestNATSRequestReplyUnavailable(t *testing.T) {
	srv := natstest.Start(t)
	b := startBridge(t, srv, func(c *config.Config) {
		c.RequestTimeout = 2 * time.Second
		c.IngestWorkers = 1
	})
	setStreamLimit(t, b.js, "EVENTS", 1)
	fillStream(t, b.js, "EVENTS", "event.filler.full")
	nc, _ := natstest.Connect(t, srv.URL())
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox + ".*")
	if err != nil {
		t.Fatal(err)
	}
	// One connection delivers the two requests in order to the bridge's
	// subscription, whose callback takes the slot for the first before it
	// sees the second.
	for i := range 2 {
		if err := nc.PublishRequest("bridge.ingest.pix", fmt.Sprintf("%s.%d", inbox, i), pixDelivery(8000+i)); err != nil {
			t.Fatal(err)
		}
	}
	answers := map[string]map[string]any{}
	for range 2 {
		msg, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("answers so far %v: %v", answers, err)
		}
		var a map[string]any
		if err := json.Unmarshal(msg.Data, &a); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, msg.Data)
		}
		if msg.Header.Get("Bridge-Status") != "503" || a["status"] != 503.0 {
			t.Errorf("answer %s: Bridge-Status %q, body %s; want 503", msg.Subject, msg.Header.Get("Bridge-Status"), msg.Data)
		}
		answers[strings.TrimPrefix(msg.Subject, inbox+".")] = a
	}
	for i, want := range []string{"store-unavailable", "too-many-requests"} {
		if typ, _ := answers[fmt.Sprint(i)]["type"].(string); !strings.HasSuffix(typ, want) {
			t.Errorf("request %d: %v, want a 503 of type %s", i, answers[fmt.Sprint(i)], want)
		}
	}
	if s := answers["0"]; s["provider"] != "pix" {
		t.Errorf("store-unavailable answer %v does not name the provider", s)
	}
}
