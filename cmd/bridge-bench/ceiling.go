package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bridge-dev/bridge/internal/natsconn"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ceilingStream is the stream the ceiling publishes into; it has the
// settings of EVENTS (file storage, replicas, duplicate window, limits).
const (
	ceilingStream  = "BENCH_CEILING"
	ceilingSubject = "bench.ceiling."
)

// Ceiling is raw synchronous JetStream publishing on the bridge's server:
// messages like the bridge's events, each with a unique Nats-Msg-Id and
// waiting for its acknowledgement, from as many goroutines as the load had
// clients, over one connection made like the bridge's.
type Ceiling struct {
	Stream       string  `json:"stream"`
	Subject      string  `json:"subject"`
	MessageBytes int     `json:"message_bytes"`
	HeaderCount  int     `json:"header_count"`
	Template     string  `json:"template"`
	Connections  int     `json:"connections"`
	Warmup       int64   `json:"warmup_publishes"`
	Stats        Stats   `json:"stats"`
	Duplicates   int64   `json:"duplicate_acks"`
	Stored       uint64  `json:"stream_messages"`
	StoredOK     bool    `json:"stored_ok"`
	Ratio        float64 `json:"bridge_to_ceiling_ratio"`
}

// runCeiling measures the ceiling with o's concurrency, warm-up and
// count or duration; bridgeRate is the bridge's deliveries/s, for Ratio.
func runCeiling(ctx context.Context, url string, js jetstream.JetStream, o Options, bridgeRate float64) (*Ceiling, error) {
	c := &Ceiling{Stream: ceilingStream, Connections: 1}
	events, err := js.Stream(ctx, "EVENTS")
	if err != nil {
		return nil, err
	}
	info, err := events.Info(ctx)
	if err != nil {
		return nil, err
	}

	// The message: the first event the bridge stored, headers and all.
	var subject string
	var data []byte
	header := nats.Header{}
	if info.State.Msgs > 0 {
		m, err := events.GetMsg(ctx, info.State.FirstSeq)
		if err != nil {
			return nil, err
		}
		subject, data = m.Subject, m.Data
		for k, v := range m.Header {
			if !strings.HasPrefix(k, "Nats-") {
				header[k] = slices.Clone(v)
			}
		}
		c.Template = fmt.Sprintf("the first event in EVENTS (%s, seq %d)", m.Subject, m.Sequence)
	} else {
		subject, data = "event.bench", []byte(`{"data":"`+strings.Repeat("x", 1200)+`"}`)
		c.Template = "1.2 KB of JSON (EVENTS is empty)"
	}
	c.Subject, c.MessageBytes, c.HeaderCount = ceilingSubject+subject, len(data), len(header)

	cfg := info.Config
	cfg.Name, cfg.Subjects, cfg.Description = ceilingStream, []string{ceilingSubject + ">"}, "bridge-bench ceiling: raw JetStream publishes"
	cfg.Sources, cfg.Mirror = nil, nil
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		return nil, fmt.Errorf("create %s: %w", ceilingStream, err)
	}

	// The bridge's own way of connecting (natsconn.Connect).
	nc, err := natsconn.Connect([]string{url}, "bridge-bench-ceiling", nil)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	for deadline := time.Now().Add(10 * time.Second); !nc.IsConnected(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("not connected to %s", url)
		}
	}
	pjs, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	p := &publisher{js: pjs, subject: c.Subject, header: header, data: data, concurrency: o.Concurrency}
	if _, err := rand.Read(p.base[:8]); err != nil {
		return nil, err
	}

	var acked, unsure int64 // publishes acknowledged; failed ones (each may be stored)
	if o.Warmup > 0 {
		w := p.run(ctx, 0, o.Warmup)
		c.Warmup, acked, unsure, c.Duplicates = w.Sent, w.Stored, w.failed(), w.Duplicates
	}
	before, err := selfUsage()
	if err != nil {
		return nil, err
	}
	st := p.run(ctx, int64(o.Count), o.Duration)
	after, err := selfUsage()
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	acked += st.Stored
	unsure += st.failed()
	c.Duplicates += st.Duplicates
	c.Stats = summarize(st, before, after)

	s, err := js.Stream(ctx, ceilingStream)
	if err != nil {
		return nil, err
	}
	sinfo, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	c.Stored = sinfo.State.Msgs
	c.StoredOK = int64(c.Stored) >= acked && int64(c.Stored) <= acked+unsure
	if c.Stats.Rate > 0 {
		c.Ratio = bridgeRate / c.Stats.Rate
	}
	return c, nil
}

// publisher publishes the ceiling's messages.
type publisher struct {
	js          jetstream.JetStream
	subject     string
	header      nats.Header
	data        []byte
	concurrency int
	base        uuid.UUID // random first half of every message id
	seq         atomic.Uint64
}

// run publishes from p.concurrency goroutines: count messages in all, or
// for dur when count is 0, each waiting for its acknowledgement.
func (p *publisher) run(ctx context.Context, count int64, dur time.Duration) phase {
	start := time.Now()
	workers := runWorkers(ctx, p.concurrency, count, dur,
		func() *worker { return &worker{phase: phase{Status: map[int]int64{}}} }, p.publish)
	return sumPhases(workers, time.Since(start))
}

func (p *publisher) publish(ctx context.Context, w *worker) {
	id := p.base
	binary.BigEndian.PutUint64(id[8:], p.seq.Add(1))
	hdr := make(nats.Header, len(p.header)+2)
	for k, v := range p.header {
		hdr[k] = v
	}
	msg := &nats.Msg{Subject: p.subject, Header: hdr, Data: p.data}
	w.Sent++
	t0 := time.Now()
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id.String()), jetstream.WithExpectStream(ceilingStream))
	lat := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		w.ConnErrors++
		w.sample(err.Error())
		return
	}
	if ack.Duplicate {
		w.Duplicates++
		w.sample("acknowledged as a duplicate")
		return
	}
	w.Stored++
	w.Events++
	w.Latencies = append(w.Latencies, lat)
}
