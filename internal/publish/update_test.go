package publish

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// update changes a stream only for a setting the bridge manages that
// differs, and then takes each of them from want.
func TestUpdateStreamConfig(t *testing.T) {
	want := jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"}, Replicas: 1, Duplicates: 2 * time.Minute,
		MaxBytes: 1 << 30, MaxAge: 24 * time.Hour, Discard: jetstream.DiscardNew, AllowDirect: true, AllowAtomicPublish: true}
	for _, tc := range []struct {
		name    string
		have    func(*jetstream.StreamConfig)
		changed bool
	}{
		{"the same", func(*jetstream.StreamConfig) {}, false},
		{"a setting it does not manage", func(c *jetstream.StreamConfig) { c.Description = "ours" }, false},
		{"subjects", func(c *jetstream.StreamConfig) { c.Subjects = []string{"other.>"} }, true},
		{"replicas", func(c *jetstream.StreamConfig) { c.Replicas = 3 }, true},
		{"duplicates", func(c *jetstream.StreamConfig) { c.Duplicates = time.Minute }, true},
		{"max bytes", func(c *jetstream.StreamConfig) { c.MaxBytes = -1 }, true},
		{"max age", func(c *jetstream.StreamConfig) { c.MaxAge = 0 }, true},
		{"discard", func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardOld }, true},
		{"allow direct", func(c *jetstream.StreamConfig) { c.AllowDirect = false }, true},
		{"atomic not allowed", func(c *jetstream.StreamConfig) { c.AllowAtomicPublish = false }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			have := want
			have.Subjects = append([]string(nil), want.Subjects...)
			tc.have(&have)
			upd, changed := update(have, want)
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if upd.Replicas != want.Replicas || upd.Duplicates != want.Duplicates || upd.MaxBytes != want.MaxBytes ||
				upd.MaxAge != want.MaxAge || upd.Discard != want.Discard || upd.AllowDirect != want.AllowDirect ||
				!upd.AllowAtomicPublish || upd.Subjects[0] != want.Subjects[0] || upd.Description != have.Description {
				t.Errorf("update gave %+v", upd)
			}
		})
	}
}

// Publishing the same message twice, ce-id included, is answered as a
// duplicate the second time: the first call was acknowledged at once, so
// nothing makes the second one's "duplicate" its own write.
func TestPublishTwiceIsADuplicate(t *testing.T) {
	e := newEnv(t, nil)
	m := Message{Subject: "event.a.b.c.d", MsgID: "k-1", Header: nats.Header{HeaderCEID: {"ce-1"}}, Data: []byte(`{}`)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := e.pub.Publish(ctx, m)
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := e.pub.Publish(ctx, m)
	if err != nil || !second.Duplicate || second.Sequence != first.Sequence {
		t.Fatalf("second: %+v, %v; want a duplicate of sequence %d", second, err, first.Sequence)
	}
}
