package natstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ProbeSubject is the subject AwaitDuplicateWindow publishes its probe on,
// under the bridge's events subjects (event.>).
const ProbeSubject = "event.natstest.window-probe"

// AwaitDuplicateWindow returns once the duplicate window of stream has
// passed for every message stored before the call: the server has
// forgotten their Nats-Msg-Ids, so a copy would be stored again.
//
// It stores a probe with a fresh Nats-Msg-Id on subject (which the stream
// must capture) and publishes it again until the stream accepts it as new
// rather than as a duplicate. The server forgets ids oldest first, so once
// the probe's is gone so are those of every message stored before it. Both
// copies of the probe are then deleted: the stream holds what it held. It
// fails the test after total.
func AwaitDuplicateWindow(t testing.TB, js jetstream.JetStream, stream, subject string, total time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), total)
	defer cancel()
	id := "natstest-probe-" + nats.NewInbox()
	probe := func() (*jetstream.PubAck, error) {
		return js.PublishMsg(ctx, &nats.Msg{Subject: subject, Header: nats.Header{jetstream.MsgIDHeader: {id}}, Data: []byte("probe")},
			jetstream.WithExpectStream(stream))
	}
	first, err := probe()
	if err != nil {
		t.Fatalf("natstest: duplicate-window probe on %s: %v", subject, err)
	}
	var again *jetstream.PubAck
	CheckFor(t, total, 10*time.Millisecond, func() error {
		a, err := probe()
		if err != nil {
			return err
		}
		if a.Duplicate {
			return fmt.Errorf("stream %s still knows the probe's Nats-Msg-Id: its duplicate window has not passed", stream)
		}
		again = a
		return nil
	})
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("natstest: stream %s: %v", stream, err)
	}
	for _, seq := range []uint64{first.Sequence, again.Sequence} {
		if err := s.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			t.Fatalf("natstest: delete probe %d of %s: %v", seq, stream, err)
		}
	}
}
