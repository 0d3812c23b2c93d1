package publish

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestPublishOnceAsPublishMsg: one attempt of the Publisher answers as
// jetstream.PublishMsg (without retries) does, on the same real server:
// the same acknowledgement, and errors that match the same sentinels and
// API error and are retried and held uncertain alike.
func TestPublishOnceAsPublishMsg(t *testing.T) {
	e := newEnv(t, nil)
	ctx := natstest.Context(t, 10*time.Second)
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}}); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	msg := func(subject, id string, size int) *nats.Msg {
		return &nats.Msg{Subject: subject, Data: make([]byte, size), Header: nats.Header{
			HeaderMsgID: {id}, jetstream.ExpectedStreamHeader: {e.cfg.Stream},
		}}
	}
	tests := []struct {
		name    string
		ctx     context.Context
		subject string
		size    int
		wantErr bool
	}{
		{name: "stored", ctx: ctx, subject: "event.a.b.c.d", size: 10},
		{name: "subject of another stream", ctx: ctx, subject: "other.x", size: 10, wantErr: true},
		{name: "subject of no stream", ctx: ctx, subject: "nowhere.x", size: 10, wantErr: true},
		{name: "larger than max payload", ctx: ctx, subject: "event.big", size: 2 << 20, wantErr: true},
		{name: "context done", ctx: done, subject: "event.a.b.c.d", size: 10, wantErr: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprint("once-", i)
			ack, err := e.pub.publishOnce(tc.ctx, msg(tc.subject, id, tc.size))
			// The same message again, through jetstream: a duplicate of
			// the one just stored, or the same error.
			pa, jsErr := e.js.PublishMsg(tc.ctx, msg(tc.subject, id, tc.size), jetstream.WithRetryAttempts(0))
			if (err != nil) != tc.wantErr || (jsErr != nil) != tc.wantErr {
				t.Fatalf("publishOnce: %+v, %v; PublishMsg: %+v, %v; want an error: %v", ack, err, pa, jsErr, tc.wantErr)
			}
			if !tc.wantErr {
				if ack.Stream != "EVENTS" || ack.Sequence == 0 || ack.Duplicate {
					t.Errorf("publishOnce ack %+v, want a new message in EVENTS", ack)
				}
				if pa.Stream != ack.Stream || pa.Sequence != ack.Sequence || !pa.Duplicate {
					t.Errorf("PublishMsg of the same id: %+v, want a duplicate of %+v", pa, ack)
				}
				dup, err := e.pub.publishOnce(tc.ctx, msg(tc.subject, id, tc.size))
				if err != nil || dup != (Ack{Stream: ack.Stream, Sequence: ack.Sequence, Duplicate: true}) {
					t.Errorf("publishOnce of the same id: %+v, %v; want a duplicate of %+v", dup, err, ack)
				}
				return
			}
			for _, target := range []error{jetstream.ErrNoStreamResponse, jetstream.ErrInvalidJSAck, nats.ErrMaxPayload, context.Canceled, nats.ErrNoResponders} {
				if errors.Is(err, target) != errors.Is(jsErr, target) {
					t.Errorf("errors.Is(%v): publishOnce %v, PublishMsg %v", target, err, jsErr)
				}
			}
			var a, b *jetstream.APIError
			if errors.As(err, &a) != errors.As(jsErr, &b) || a != nil && *a != *b {
				t.Errorf("API errors: publishOnce %v, PublishMsg %v", err, jsErr)
			}
			if classify(err) != classify(jsErr) || mayHaveStored(err) != mayHaveStored(jsErr) {
				t.Errorf("publishOnce %v: %v, may have stored %v; PublishMsg %v: %v, %v",
					err, classify(err), mayHaveStored(err), jsErr, classify(jsErr), mayHaveStored(jsErr))
			}
			if err.Error() != jsErr.Error() {
				t.Errorf("publishOnce error %q, PublishMsg error %q", err, jsErr)
			}
		})
	}
}
