package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/idem"
	"github.com/bridge-dev/bridge/internal/natstest"
)

// store writes a structured-mode CloudEvent as the bridge stores one: on
// the subject of its type, with its ce-* headers.
func store(t *testing.T, js jetstream.JetStream, typ, subject string) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	body, _ := json.Marshal(map[string]any{
		"specversion": "1.0", "id": id, "type": typ, "source": "test", "subject": subject,
		"datacontenttype": "application/json", "data": map[string]any{"n": 1},
	})
	msg := &nats.Msg{Subject: typ, Data: body, Header: nats.Header{}}
	msg.Header.Set("ce-id", id)
	msg.Header.Set("ce-type", typ)
	msg.Header.Set("ce-subject", subject)
	msg.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	return id
}

func setup(t *testing.T) (jetstream.JetStream, *Reader) {
	t.Helper()
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"event.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	return js, NewReader(js, "EVENTS")
}

func ids(es []Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Event.ID()
	}
	return out
}

func TestList(t *testing.T) {
	js, r := setup(t)
	ctx := context.Background()
	if got, err := r.List(ctx, Filter{}); err != nil || len(got) != 0 {
		t.Fatalf("empty stream: %v, %v", ids(got), err)
	}
	const charge = "event.stripe.payments.charge.succeeded"
	const pix = "event.pix.payments.pix.received"
	a := store(t, js, charge, "charge/ch_1")
	b := store(t, js, pix, "pix/E1")
	c := store(t, js, charge, "charge/ch_2")
	d := store(t, js, charge, "charge/ch_1")

	for _, tc := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{a, b, c, d}},
		{Filter{Type: "event.stripe.>"}, []string{a, c, d}},
		{Filter{Type: "event.*.payments.pix.*"}, []string{b}},
		{Filter{Type: pix}, []string{b}},
		{Filter{Entity: "charge/ch_1"}, []string{a, d}},
		{Filter{Entity: "ch_1"}, []string{a, d}},
		{Filter{Entity: "pix/ch_1"}, nil},
		{Filter{Type: "event.stripe.>", Limit: 2}, []string{a, c}},
		{Filter{Since: time.Hour}, []string{a, b, c, d}},
		{Filter{Type: "event.github.>"}, nil},
	} {
		got, err := r.List(ctx, tc.f)
		if err != nil {
			t.Fatalf("%+v: %v", tc.f, err)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, ids(got), tc.want)
		}
	}
	got, _ := r.List(ctx, Filter{Entity: "pix/E1"})
	if len(got) != 1 || got[0].Subject != pix || got[0].Seq != 2 || got[0].StoredAt.IsZero() || got[0].Event.Type() != pix {
		t.Errorf("event read back: %+v", got)
	}
	out, err := json.Marshal(got[0])
	if err != nil || !strings.Contains(string(out), `"seq":2`) || !strings.Contains(string(out), `"specversion":"1.0"`) ||
		!strings.Contains(string(out), `"ce-subject":"pix/E1"`) {
		t.Errorf("JSON: %s, %v", out, err)
	}
}

func TestGet(t *testing.T) {
	js, r := setup(t)
	ctx := context.Background()
	var want string
	for i := range 50 {
		id := store(t, js, "event.stripe.payments.charge.succeeded", fmt.Sprintf("charge/ch_%d", i))
		if i == 37 {
			want = id
		}
	}
	e, err := r.Get(ctx, want)
	if err != nil || e.Event.ID() != want || e.Event.Subject() != "charge/ch_37" {
		t.Fatalf("Get(%s) = %s %s, %v", want, e.Event.ID(), e.Event.Subject(), err)
	}
	for _, form := range []string{strings.ToUpper(want), "urn:uuid:" + want, "{" + want + "}"} {
		if e, err := r.Get(ctx, form); err != nil || e.Event.ID() != want {
			t.Errorf("Get(%s) = %s, %v; want the event %s", form, e.Event.ID(), err, want)
		}
	}
	if _, err := r.Get(ctx, uuid.Must(uuid.NewV7()).String()); !errors.Is(err, ErrNotFound) {
		t.Errorf("an id never stored: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"nope", uuid.NewString()} { // v4
		if _, err := r.Get(ctx, bad); err == nil || !strings.Contains(err.Error(), "UUID v7") {
			t.Errorf("Get(%q): %v, want a UUID v7 error", bad, err)
		}
	}
}

func TestFollow(t *testing.T) {
	js, r := setup(t)
	old := store(t, js, "event.stripe.payments.charge.succeeded", "charge/ch_1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- r.Follow(ctx, Filter{Type: "event.stripe.>"}, func(e Event) error {
			got <- e.Event.ID()
			return nil
		})
	}()
	// Follow without Since starts at new events: store until one arrives
	// (the consumer may not exist yet when the first is stored).
	var first string
	natstest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		store(t, js, "event.pix.payments.pix.received", "pix/E1") // another type: never followed
		store(t, js, "event.stripe.payments.charge.succeeded", "charge/ch_2")
		select {
		case first = <-got:
			return nil
		default:
			return errors.New("no event followed yet")
		}
	})
	if first == old {
		t.Errorf("Follow without Since delivered the old event %s", old)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow returned %v when its context ended, want nil", err)
	}
	close(got)
	for id := range got {
		if id == old {
			t.Errorf("the old event %s was followed", id)
		}
	}
}

func TestFilterValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Filter
		want string // "" = valid
	}{
		{Filter{}, ""},
		{Filter{Type: "event.stripe.>", Since: time.Hour, Entity: "ch_1", Limit: 10}, ""},
		{Filter{Type: "stripe.charge"}, `type "stripe.charge": event types start with "event."`},
		{Filter{Type: "event.a..b"}, "is not a type"},
		{Filter{Type: "event.>.x"}, "'>' must be the last token"},
		{Filter{Type: "event.a*b"}, "whole tokens"},
		{Filter{Type: "event.a\x01b"}, "character"},
		{Filter{Type: "event.a b"}, "character"},
		{Filter{Type: "event.*.payments.>"}, ""},
		{Filter{Since: -time.Second}, "must not be negative"},
		{Filter{Limit: MaxLimit + 1}, "limit"},
	} {
		err := tc.f.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
	err := Filter{Type: "x", Since: -1, Limit: -1}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("every problem at once: %v", err)
	}
}

func TestNoStream(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv.URL())
	_, err := NewReader(js, "EVENTS").List(context.Background(), Filter{})
	if err == nil || !strings.Contains(err.Error(), "stream EVENTS does not exist") {
		t.Errorf("no stream: %v", err)
	}
}

// TestEntityByProviderID: the subject holds the entity's UUID, made from
// the provider's id; an entity given as the provider's id (with or without
// its type) or as the UUID finds the same events, of that provider only.
func TestEntityByProviderID(t *testing.T) {
	js, r := setup(t)
	ctx := context.Background()
	charge := "charge/" + idem.EntityID("stripe", "charge", "ch_3S5k").String()
	a := store(t, js, "event.stripe.payments.charge.succeeded", charge)
	store(t, js, "event.stripe.payments.charge.succeeded", "charge/"+idem.EntityID("stripe", "charge", "ch_other").String())
	// The same provider id under another provider is another entity.
	store(t, js, "event.acme.payments.charge.succeeded", "charge/"+idem.EntityID("acme", "charge", "ch_3S5k").String())
	for _, entity := range []string{"ch_3S5k", "charge/ch_3S5k", charge, strings.TrimPrefix(charge, "charge/")} {
		got, err := r.List(ctx, Filter{Entity: entity, Type: "event.stripe.>"})
		if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint([]string{a}) {
			t.Errorf("entity %q: %v, %v; want [%s]", entity, ids(got), err, a)
		}
	}
	if got, _ := r.List(ctx, Filter{Entity: "refund/ch_3S5k"}); len(got) != 0 {
		t.Errorf("another type: %v", ids(got))
	}
	if got, _ := r.List(ctx, Filter{Entity: "ch_3S5k"}); len(got) != 2 {
		t.Errorf("every provider: %v, want the stripe and the acme charge", ids(got))
	}
}

// TestListStopsWhenItsContextEnds: a scan over many events ends with its
// context (Ctrl-C, the admin API's request timeout).
func TestListStopsWhenItsContextEnds(t *testing.T) {
	js, r := setup(t)
	for i := range 300 {
		store(t, js, "event.stripe.payments.charge.succeeded", fmt.Sprintf("charge/%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.List(ctx, Filter{Entity: "nope"}); !errors.Is(err, context.Canceled) {
		t.Errorf("List with an ended context: %v, want context.Canceled", err)
	}
}
