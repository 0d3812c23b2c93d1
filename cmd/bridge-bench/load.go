package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
)

// requestTimeout bounds one delivery on the client side; the bridge's own
// --request-timeout (10s) answers 503 before it.
const requestTimeout = 30 * time.Second

// generator makes the deliveries: an example payload with its ids replaced
// by ones unique to the delivery, the same length as the originals (so
// every body, and every event, has the example's size).
type generator struct {
	provider string
	file     string
	chunks   [][]byte                            // the example between the replaced ids
	ids      []func(dst []byte, n uint64) []byte // one per gap between chunks
	size     int
	signed   bool
}

// newGenerator reads the example of provider: stripe is
// stripe/charge.succeeded.json with a unique event id ("evt_...", the
// idempotency key) and charge id ("ch_...", the entity) per delivery; pix
// is pix/pix.single.json with a unique endToEndId (idempotency key and
// entity), E + 20 digits + 11 letters or digits.
func newGenerator(provider, examples string) (*generator, error) {
	g := &generator{provider: provider}
	switch provider {
	case "stripe":
		g.file, g.signed = filepath.Join(examples, "stripe", "charge.succeeded.json"), true
		var p struct {
			ID   string
			Data struct{ Object struct{ ID string } }
		}
		tmpl, err := readJSON(g.file, &p)
		if err != nil {
			return nil, err
		}
		if len(p.ID) < 16 || len(p.Data.Object.ID) < 16 {
			return nil, fmt.Errorf("%s: want an event id and a charge id of at least 16 characters", g.file)
		}
		return g.compile(tmpl, map[string]func([]byte, uint64) []byte{
			p.ID:             stripeID("evt_", len(p.ID)),
			p.Data.Object.ID: stripeID("ch_", len(p.Data.Object.ID)),
		})
	case "pix":
		g.file = filepath.Join(examples, "pix", "pix.single.json")
		var p struct {
			Pix []struct{ EndToEndID string }
		}
		tmpl, err := readJSON(g.file, &p)
		if err != nil {
			return nil, err
		}
		if len(p.Pix) != 1 || len(p.Pix[0].EndToEndID) != 32 {
			return nil, fmt.Errorf("%s: want one Pix with a 32-character endToEndId", g.file)
		}
		e2e := p.Pix[0].EndToEndID
		return g.compile(tmpl, map[string]func([]byte, uint64) []byte{e2e: pixEndToEndID(e2e[:21])})
	}
	return nil, fmt.Errorf("unknown provider %q", provider)
}

func readJSON(file string, v any) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("example payload (see --examples): %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return b, nil
}

// compile splits tmpl at every occurrence of the keys of subs, which must
// each occur at least once.
func (g *generator) compile(tmpl []byte, subs map[string]func([]byte, uint64) []byte) (*generator, error) {
	for old := range subs {
		if !bytes.Contains(tmpl, []byte(old)) {
			return nil, fmt.Errorf("%s: %q not found", g.file, old)
		}
	}
	rest := tmpl
	for {
		at, which := -1, ""
		for old := range subs {
			if i := bytes.Index(rest, []byte(old)); i >= 0 && (at < 0 || i < at) {
				at, which = i, old
			}
		}
		if at < 0 {
			break
		}
		g.chunks = append(g.chunks, rest[:at])
		g.ids = append(g.ids, subs[which])
		rest = rest[at+len(which):]
	}
	g.chunks = append(g.chunks, rest)
	g.size = len(g.body(nil, 1))
	if g.size != len(tmpl) {
		return nil, fmt.Errorf("%s: generated bodies are %d bytes, the example %d", g.file, g.size, len(tmpl))
	}
	return g, nil
}

// body appends delivery n's payload to dst.
func (g *generator) body(dst []byte, n uint64) []byte {
	for i, c := range g.chunks {
		dst = append(dst, c...)
		if i < len(g.ids) {
			dst = g.ids[i](dst, n)
		}
	}
	return dst
}

func (g *generator) describe() string {
	how := "unsigned"
	if g.signed {
		how = "signed as Stripe signs (Stripe-Signature t=...,v1=HMAC-SHA256)"
	}
	return fmt.Sprintf("%s, %d-byte bodies with unique ids, %s", g.file, g.size, how)
}

// stripeID makes prefix + n in base 36, zero-padded to width characters
// in all (Stripe ids are a prefix and 24 letters and digits).
func stripeID(prefix string, width int) func([]byte, uint64) []byte {
	return func(dst []byte, n uint64) []byte {
		dst = append(dst, prefix...)
		return appendPadded(dst, n, width-len(prefix))
	}
}

// pixEndToEndID makes head (E + the ISPB and the date and time, 20 digits)
// + n in base 36, zero-padded to the 11 letters and digits of the id.
func pixEndToEndID(head string) func([]byte, uint64) []byte {
	return func(dst []byte, n uint64) []byte {
		return appendPadded(append(dst, head...), n, 11)
	}
}

func appendPadded(dst []byte, n uint64, width int) []byte {
	var buf [16]byte
	s := strconv.AppendUint(buf[:0], n, 36)
	for range width - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendStripeSignature appends the Stripe-Signature header's value that
// Stripe sends: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>"
// keyed with the secret>. mac is an HMAC-SHA256 keyed with the secret,
// reused across calls.
func appendStripeSignature(dst []byte, mac hash.Hash, body []byte, at time.Time) []byte {
	dst = append(dst, "t="...)
	start := len(dst)
	dst = strconv.AppendInt(dst, at.Unix(), 10)
	mac.Reset()
	mac.Write(dst[start:])
	mac.Write([]byte{'.'})
	mac.Write(body)
	var sum [sha256.Size]byte
	dst = append(dst, ",v1="...)
	return hex.AppendEncode(dst, mac.Sum(sum[:0]))
}

// loader sends deliveries from its client goroutines, each over a
// keep-alive connection of its own that outlives the phase. It remembers
// the event ids of every 2xx that stored events, for the exactly-once
// check.
type loader struct {
	gen         *generator
	secret      []byte
	concurrency int
	client      *client
	seq         atomic.Uint64 // deliveries made, in every phase: each one's unique number

	mu        sync.Mutex
	answered  []uuid.UUID // event ids answered 2xx (stored), every phase
	uncertain int64       // deliveries whose outcome is unknown (non-2xx or no answer), every phase
}

func newLoader(url string, gen *generator, secret string, concurrency int) (*loader, error) {
	c, err := newClient(url, http.Header{"Content-Type": {"application/json"}, "User-Agent": {"bridge-bench"}})
	if err != nil {
		return nil, err
	}
	l := &loader{gen: gen, secret: []byte(secret), concurrency: concurrency, client: c}
	// Delivery numbers start at random, so that the ids of two runs against
	// one bridge (--target) do not meet: below 2^50, they fit the 11
	// base-36 characters a Pix end-to-end id leaves them.
	l.seq.Store(rand.Uint64N(1 << 50))
	return l, nil
}

func (l *loader) close() { l.client.close() }

func (l *loader) answeredCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.answered)
}

// phase is what one run of the loader saw.
type phase struct {
	Elapsed      time.Duration
	Sent         int64           // deliveries attempted
	Stored       int64           // 2xx answers that stored their events
	Events       int64           // events those answers name
	Duplicates   int64           // 2xx answers saying duplicate (none expected)
	DeadLettered int64           // 2xx answers saying dead_lettered (none expected)
	Dropped      int64           // 2xx answers saying dropped (none expected)
	Status       map[int]int64   // answers by HTTP status
	ConnErrors   int64           // requests with no answer (connection refused, reset, timeout)
	ErrSamples   []string        // the first few distinct problems
	Latencies    []time.Duration // of every 2xx answer, sorted
}

// worker is one client goroutine's share of a phase.
type worker struct {
	phase
	ids []uuid.UUID
	mac hash.Hash

	// The loader's buffers, reused from one delivery to the next.
	x    exchange
	body []byte
}

// run sends deliveries from l.concurrency goroutines: count in all, or for
// dur when count is 0. Deliveries in flight when dur ends are waited for
// and counted; Elapsed is until the last one is answered.
func (l *loader) run(ctx context.Context, count int64, dur time.Duration) phase {
	start := time.Now()
	workers := runWorkers(ctx, l.concurrency, count, dur,
		func() *worker {
			return &worker{phase: phase{Status: map[int]int64{}}, mac: hmac.New(sha256.New, l.secret)}
		},
		l.deliver)
	elapsed := time.Since(start)
	for _, w := range workers {
		l.client.put(&w.x)
	}
	return l.merge(workers, elapsed)
}

// runWorkers runs step from n goroutines, each with its own worker made by
// newWorker, count steps in all, or until dur has passed when count is 0;
// a step in flight when dur ends is waited for. It returns the workers.
func runWorkers(ctx context.Context, n int, count int64, dur time.Duration, newWorker func() *worker, step func(context.Context, *worker)) []*worker {
	deadline := time.Now().Add(dur)
	var claimed atomic.Int64
	workers := make([]*worker, n)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker()
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if count > 0 {
					if claimed.Add(1) > count {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				step(ctx, w)
			}
		}()
	}
	wg.Wait()
	return workers
}

func (l *loader) deliver(ctx context.Context, w *worker) {
	n := l.seq.Add(1)
	w.body = l.gen.body(w.body[:0], n)
	req := l.client.request(&w.x)
	if l.gen.signed {
		req = append(req, "Stripe-Signature: "...)
		req = appendStripeSignature(req, w.mac, w.body, time.Now())
		req = append(req, "\r\n"...)
	}
	w.x.req = finish(req, w.body)
	w.Sent++
	t0 := time.Now()
	status, err := l.client.roundTrip(ctx, &w.x, requestTimeout)
	lat := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return // interrupted: not the bridge's fault
		}
		w.ConnErrors++
		w.sample(err.Error())
		time.Sleep(10 * time.Millisecond) // no hot loop against a bridge that is gone
		return
	}
	raw := w.x.body
	w.Status[status]++
	if status/100 != 2 {
		w.sample(fmt.Sprintf("%d %s", status, truncate(raw, 300)))
		return
	}
	var a struct {
		ID           string `json:"id"`
		Duplicate    bool   `json:"duplicate"`
		DeadLettered bool   `json:"dead_lettered"`
		Dropped      bool   `json:"dropped"`
		Events       []struct {
			ID        string `json:"id"`
			Duplicate bool   `json:"duplicate"`
		} `json:"events"`
	}
	// Decoded without reflection: the load's cost counts against the bridge.
	if err := gojson.Unmarshal(raw, &a); err != nil {
		w.sample(fmt.Sprintf("%d with an answer that is not JSON: %s", status, truncate(raw, 300)))
		return
	}
	switch {
	case a.DeadLettered:
		w.DeadLettered++
		w.sample(fmt.Sprintf("%d dead-lettered: %s", status, truncate(raw, 300)))
		return
	case a.Dropped:
		w.Dropped++
		w.sample(fmt.Sprintf("%d dropped: %s", status, truncate(raw, 300)))
		return
	case a.Duplicate:
		w.Duplicates++
		w.sample(fmt.Sprintf("%d duplicate: %s", status, truncate(raw, 300)))
		return
	}
	ids := []string{a.ID}
	if a.ID == "" {
		ids = ids[:0]
		for _, e := range a.Events {
			if e.Duplicate {
				w.Duplicates++
				continue
			}
			ids = append(ids, e.ID)
		}
	}
	for _, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			w.sample(fmt.Sprintf("%d with an event id that is not a UUID: %s", status, truncate(raw, 300)))
			continue
		}
		w.ids = append(w.ids, id)
	}
	w.Stored++
	w.Events += int64(len(ids))
	w.Latencies = append(w.Latencies, lat)
}

func (w *worker) sample(msg string) {
	if len(w.ErrSamples) < 5 && !slices.Contains(w.ErrSamples, msg) {
		w.ErrSamples = append(w.ErrSamples, msg)
	}
}

func truncate(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// merge adds the workers' shares up and records, in l, the ids answered
// and the deliveries whose outcome is unknown.
func (l *loader) merge(workers []*worker, elapsed time.Duration) phase {
	p := sumPhases(workers, elapsed)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range workers {
		l.answered = append(l.answered, w.ids...)
	}
	for s, n := range p.Status {
		if s/100 != 2 {
			l.uncertain += n
		}
	}
	l.uncertain += p.ConnErrors
	return p
}

// sumPhases adds the workers' shares of a phase up: counts, answers by
// status, the first ten distinct problems, and every latency, sorted.
func sumPhases(workers []*worker, elapsed time.Duration) phase {
	p := phase{Elapsed: elapsed, Status: map[int]int64{}}
	for _, w := range workers {
		p.Sent += w.Sent
		p.Stored += w.Stored
		p.Events += w.Events
		p.Duplicates += w.Duplicates
		p.DeadLettered += w.DeadLettered
		p.Dropped += w.Dropped
		p.ConnErrors += w.ConnErrors
		for s, n := range w.Status {
			p.Status[s] += n
		}
		for _, e := range w.ErrSamples {
			if len(p.ErrSamples) < 10 && !slices.Contains(p.ErrSamples, e) {
				p.ErrSamples = append(p.ErrSamples, e)
			}
		}
		p.Latencies = append(p.Latencies, w.Latencies...)
	}
	sortDurations(p.Latencies)
	return p
}

// failed is how many deliveries did not store their event.
func (p phase) failed() int64 { return p.Sent - p.Stored }
