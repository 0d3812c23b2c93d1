package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/bridge-dev/bridge/internal/natstest"
	"github.com/bridge-dev/bridge/internal/publish"
)

// start starts a server with the archive's stream and a running writer.
func start(t *testing.T, mutate func(*Config)) (*natstest.Server, jetstream.JetStream, *Writer, Config) {
	t.Helper()
	srv := natstest.Start(t)
	nc, js := natstest.Connect(t, srv.URL())
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	if err := publish.EnsureStream(natstest.Context(t, 10*time.Second), js, publish.DefaultConfig(), cfg.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(nc, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	t.Cleanup(func() { _ = w.Shutdown(natstest.Context(t, 5*time.Second)) })
	return srv, js, w, cfg
}

func record(provider, ingest string, i int) Record {
	return Record{Provider: provider, Ingest: ingest, ReceivedAt: time.Date(2026, 12, 6, 11, 0, i, 123456789, time.UTC),
		Key: fmt.Sprintf("key-%d", i), ContentType: "application/json",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1", "r2"}, "Stripe-Signature": {"t=1,v1=abc"},
			"Authorization": {"Bearer secret"}},
		Body: []byte(fmt.Sprintf(`{"id":"evt_%d", "spaces" : [ 1,2 ]}`+"\n", i))}
}

// TestRecordRoundTrip: a record kept by the writer reads back as it was
// kept, body byte for byte, without its credential headers, on
// raw.<provider>.<ingest>.
func TestRecordRoundTrip(t *testing.T) {
	_, js, w, cfg := start(t, nil)
	in := record("stripe", "webhook", 1)
	w.Keep(in)
	natstest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if s := w.Stats(); s.Written != 1 || s.Pending != 0 {
			return fmt.Errorf("stats %+v", s)
		}
		return nil
	})
	msgs := natstest.StreamMessages(t, js, cfg.Stream)
	if len(msgs) != 1 {
		t.Fatalf("%d records, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Subject != "raw.stripe.webhook" {
		t.Errorf("subject %s", m.Subject)
	}
	for name := range m.Header {
		if bytes.Contains(bytes.ToLower([]byte(name)), []byte("signature")) || bytes.Contains(bytes.ToLower([]byte(name)), []byte("authorization")) {
			t.Errorf("credential header %s archived", name)
		}
	}
	got, err := Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, in.Body) || got.Provider != in.Provider || got.Ingest != in.Ingest || !got.ReceivedAt.Equal(in.ReceivedAt) ||
		got.Key != in.Key || got.ContentType != in.ContentType || got.Seq != 1 {
		t.Errorf("read back %+v, want %+v", got, in)
	}
	if v := got.Header.Values("X-Request-Id"); len(v) != 2 || v[0] != "r1" || v[1] != "r2" {
		t.Errorf("X-Request-Id %q", v)
	}
	if len(got.Header) != 2 {
		t.Errorf("headers %v: want Content-Type and X-Request-Id only", got.Header)
	}
	if l := got.Letter(); l.Header.Get("Content-Type") != "application/json" || !bytes.Equal(l.Body, in.Body) {
		t.Errorf("letter %+v", l)
	}
	// The same delivery kept again (a retry within the window) is one record.
	w.Keep(in)
	natstest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if s := w.Stats(); s.Written != 2 || s.Pending != 0 {
			return fmt.Errorf("stats %+v", s)
		}
		return nil
	})
	if n := len(natstest.StreamMessages(t, js, cfg.Stream)); n != 1 {
		t.Errorf("%d records after a retry, want 1", n)
	}
}

// TestWriterBatches: on a stream that takes atomic batches (a replicated
// one), what is queued when the writer takes its turn is stored as one
// batch; a batch the stream refuses (a record already kept, here twice in
// it) is stored record by record instead, the duplicate once; on a
// single-replica stream (persist mode async, no batches), and by a writer
// told NoBatch, every record is stored one by one.
func TestWriterBatches(t *testing.T) {
	srv := natstest.Start(t)
	nc, js := natstest.Connect(t, srv.URL())
	batched := DefaultConfig()
	batched.Stream, batched.Prefix = "RAW_BATCHED", "rawb"
	sc := batched.StreamConfig(1)
	sc.PersistMode, sc.AllowAtomicPublish = jetstream.DefaultPersistMode, true // as StreamConfig(3) has it
	ctx := natstest.Context(t, 10*time.Second)
	if err := publish.EnsureStream(ctx, js, publish.DefaultConfig(), sc); err != nil {
		t.Fatal(err)
	}
	single := DefaultConfig()
	if err := publish.EnsureStream(ctx, js, publish.DefaultConfig(), single.StreamConfig(1)); err != nil {
		t.Fatal(err)
	}
	noBatch := batched // a stream that takes atomic batches, and a writer told not to send them
	noBatch.NoBatch = true
	hundred := func(provider string) []Record {
		var rs []Record
		for i := range 100 {
			rs = append(rs, record(provider, "webhook", i))
		}
		return rs
	}
	for _, tc := range []struct {
		name                    string
		cfg                     Config
		records                 []Record
		wantStored, wantBatched int
	}{
		{"one batch", batched, hundred("stripe"), 100, 100},
		{"refused batch", batched, []Record{record("shop", "nats", 1), record("shop", "nats", 1), record("shop", "nats", 2)}, 2, 0},
		{"single replica", single, hundred("stripe"), 100, 0},
		{"no batches (a lazy server)", noBatch, hundred("github"), 100, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := natstest.StreamInfoState(t, js, tc.cfg.Stream).Msgs
			w, err := NewWriter(nc, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.records { // queued before the writer starts: one turn takes them all
				w.Keep(r)
			}
			w.Start()
			if err := w.Shutdown(natstest.Context(t, 10*time.Second)); err != nil {
				t.Fatal(err)
			}
			s := w.Stats()
			if s.Written != uint64(len(tc.records)) || s.Batched != uint64(tc.wantBatched) || s.Pending != 0 || s.Failed != 0 {
				t.Errorf("stats %+v, want %d written, %d batched", s, len(tc.records), tc.wantBatched)
			}
			if got := natstest.StreamInfoState(t, js, tc.cfg.Stream).Msgs - before; got != uint64(tc.wantStored) {
				t.Errorf("%d records stored, want %d", got, tc.wantStored)
			}
		})
	}
	for replicas, want := range map[int]jetstream.PersistModeType{1: jetstream.AsyncPersistMode, 3: jetstream.DefaultPersistMode} {
		if sc := DefaultConfig().StreamConfig(replicas); sc.PersistMode != want || sc.AllowAtomicPublish != (replicas > 1) {
			t.Errorf("%d replicas: persist mode %v, atomic %v", replicas, sc.PersistMode, sc.AllowAtomicPublish)
		}
	}
}

// TestReaderSelects: Each visits one provider's records, the oldest first,
// from a sequence or within a time, and stops at fn's error.
func TestReaderSelects(t *testing.T) {
	_, js, w, cfg := start(t, nil)
	for i := range 150 {
		p := "stripe"
		if i%3 == 0 {
			p = "github"
		}
		w.Keep(record(p, "webhook", i))
	}
	natstest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if s := w.Stats(); s.Written != 150 {
			return fmt.Errorf("stats %+v", s)
		}
		return nil
	})
	r := NewReader(js, cfg)
	ctx := natstest.Context(t, 10*time.Second)
	collect := func(f Filter) []uint64 {
		t.Helper()
		var seqs []uint64
		if err := r.Each(ctx, f, func(rec Record) error {
			if rec.Provider != f.Provider {
				t.Errorf("record of %s for %s", rec.Provider, f.Provider)
			}
			seqs = append(seqs, rec.Seq)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	all := collect(Filter{Provider: "stripe"})
	if len(all) != 100 {
		t.Fatalf("%d stripe records, want 100", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("out of order: %v", all)
		}
	}
	if from := collect(Filter{Provider: "stripe", FromSeq: all[50]}); len(from) != 50 || from[0] != all[50] {
		t.Errorf("from seq %d: %d records starting %v", all[50], len(from), from[:min(1, len(from))])
	}
	if n := len(collect(Filter{Provider: "github", Since: time.Hour})); n != 50 {
		t.Errorf("github within the hour: %d, want 50", n)
	}
	stop := errors.New("stop")
	n := 0
	if err := r.Each(ctx, Filter{Provider: "stripe"}, func(Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d", err, n)
	}
	for _, bad := range []Filter{{}, {Provider: "a.b"}, {Provider: "x", Since: time.Hour, FromSeq: 3}, {Provider: "x", Since: -1}} {
		if err := r.Each(ctx, bad, func(Record) error { return nil }); !errors.Is(err, ErrInvalidFilter) {
			t.Errorf("filter %+v: %v", bad, err)
		}
	}
}

// TestWriterNeverBlocks: with the server down, Keep returns at once for
// every record, each one is counted as failed or dropped, the lag drains
// to 0, and once the server is back records are kept again.
func TestWriterNeverBlocks(t *testing.T) {
	srv, js, w, cfg := start(t, func(c *Config) { c.Window = 8 })
	srv.Stop(t)
	const n = 200
	for i := range n { // Keep only queues: it returns whatever the server's state
		w.Keep(record("stripe", "nats", i))
	}
	natstest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		s := w.Stats()
		if s.Pending != 0 || s.Dropped+s.Failed != n || s.Written != 0 {
			return fmt.Errorf("stats %+v", s)
		}
		return nil
	})
	if s := w.Stats(); s.Dropped == 0 {
		t.Errorf("a window of 8 took %d records without dropping any: %+v", n, s)
	}
	srv.Restart(t)
	natstest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		w.Keep(record("stripe", "nats", 1000))
		if w.Stats().Written == 0 {
			return errors.New("nothing written since the restart")
		}
		return nil
	})
	if got := len(natstest.StreamMessages(t, js, cfg.Stream)); got != 1 {
		t.Errorf("%d records, want the one kept after the restart", got)
	}
}

// TestWriterShutdown: Shutdown publishes what is queued and waits for its
// acknowledgement; a record kept afterwards is dropped; twice is safe, and
// so is before Start.
func TestWriterShutdown(t *testing.T) {
	_, js, w, cfg := start(t, nil)
	for i := range 50 {
		w.Keep(record("stripe", "events", i))
	}
	if err := w.Shutdown(natstest.Context(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != 50 || s.Pending != 0 {
		t.Errorf("after shutdown: %+v", s)
	}
	w.Keep(record("stripe", "events", 99))
	if s := w.Stats(); s.Dropped != 1 {
		t.Errorf("kept after shutdown: %+v", s)
	}
	if err := w.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	if got := len(natstest.StreamMessages(t, js, cfg.Stream)); got != 50 {
		t.Errorf("%d records, want 50", got)
	}
	nc, _ := natstest.Connect(t, w.js.Conn().ConnectedUrl())
	idle, err := NewWriter(nc, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown before start: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"default", func(*Config) {}, ""},
		{"stream", func(c *Config) { c.Stream = "a.b" }, `stream name "a.b"`},
		{"age", func(c *Config) { c.MaxAge = -1 }, "max age must be 0"},
		{"bytes", func(c *Config) { c.MaxBytes = 0 }, "max bytes must be -1"},
		{"window", func(c *Config) { c.Window = 0 }, "window must be 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want))) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestStreamConfigOver: an existing stream keeps its persist mode, which
// JetStream cannot change: async stays at one replica (stuck when more are
// asked), the default mode takes atomic batches at any count.
func TestStreamConfigOver(t *testing.T) {
	c := DefaultConfig()
	for _, tc := range []struct {
		name      string
		have      jetstream.StreamConfig
		replicas  int
		wantMode  jetstream.PersistModeType
		wantReps  int
		wantStuck bool
	}{
		{"async, one", c.StreamConfig(1), 1, jetstream.AsyncPersistMode, 1, false},
		{"async, three asked", c.StreamConfig(1), 3, jetstream.AsyncPersistMode, 1, true},
		{"replicated, three", c.StreamConfig(3), 3, jetstream.DefaultPersistMode, 3, false},
		{"replicated, one asked", c.StreamConfig(3), 1, jetstream.DefaultPersistMode, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, stuck := c.StreamConfigOver(tc.have, tc.replicas)
			if got.PersistMode != tc.wantMode || got.Replicas != tc.wantReps || stuck != tc.wantStuck ||
				got.AllowAtomicPublish != (tc.wantMode == jetstream.DefaultPersistMode) {
				t.Errorf("mode %v, %d replicas, atomic %v, stuck %v", got.PersistMode, got.Replicas, got.AllowAtomicPublish, stuck)
			}
		})
	}
}
